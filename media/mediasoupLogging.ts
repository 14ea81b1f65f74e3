import * as mediasoup from 'mediasoup';
import type { MediaLogger } from './MediaLogger.js';

/** Sends mediasoup's own log lines (node side and worker side) to a child logger. */
export function routeMediasoupLogs(logger: MediaLogger): void {
  const log = logger.child({ component: 'mediasoup' });
  mediasoup.setLogEventListeners({
    ondebug: undefined,
    onwarn: (namespace, line) => log.warn({ namespace }, line),
    onerror: (namespace, line, error) => log.error({ namespace, err: error }, line),
  });
}
