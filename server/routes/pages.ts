import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

export interface PageRoutesOptions {
  /** Folder of the built pages (web/dist). */
  webRoot: string;
}

/**
 * The pages are one browser app with its own router: these paths answer with its index.html.
 * Join links carry their token in the path, so the page must never leak it in a Referer.
 */
export const pageRoutes: FastifyPluginAsync<PageRoutesOptions> = async (app, { webRoot }) => {
  const send = async (_request: unknown, reply: FastifyReply) => {
    let html: string;
    try {
      html = await readFile(join(webRoot, 'index.html'), 'utf8');
    } catch {
      return reply.status(503).send({
        code: 'unavailable',
        message: {
          vi: 'Giao diện chưa được dựng (npm run build:web)',
          en: 'Pages are not built (npm run build:web)',
        },
      });
    }
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('referrer-policy', 'no-referrer')
      .header('x-robots-tag', 'noindex')
      .send(html);
  };
  const schema = { hide: true };
  app.get('/join/:token', { schema }, send);
  app.get('/admin', { schema }, send);
  app.get('/admin/*', { schema }, send);
};
