import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { type ErrorBody, fieldsError, toErrorBody } from '../../protocol/errors.js';
import { issueText, type Text } from '../../protocol/text.js';
import { redactUrl } from './redact.js';

/** Fastify's own client errors speak English: what each means, in Vietnamese. */
const fastifyClientErrorVi: Record<string, string> = {
  payload_too_large: 'Nội dung gửi lên quá lớn',
  rate_limited: 'Quá nhiều yêu cầu, hãy thử lại sau',
  not_found: 'Không tìm thấy',
  bad_request: 'Yêu cầu không hợp lệ',
};

/** One mapping from errors to responses: stable code, a message naming the field, no internals above 499. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let status: number;
    let body: ErrorBody;
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'body';
      const fields = err.validation.map((v) => {
        const field = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
        return { path: `${where}${field ? `.${field}` : ''}`, message: issueText(v.message ?? '') };
      });
      status = 400;
      body = fieldsError(fields).toBody();
    } else if (
      typeof err.statusCode === 'number' &&
      err.statusCode >= 400 &&
      err.statusCode < 500 &&
      !('toBody' in err)
    ) {
      // Fastify's own client errors (bad JSON, body too large, unsupported media type, rate limit).
      status = err.statusCode;
      const code =
        status === 413
          ? 'payload_too_large'
          : status === 429
            ? 'rate_limited'
            : status === 404
              ? 'not_found'
              : 'bad_request';
      body = { code, message: { vi: fastifyClientErrorVi[code] ?? err.message, en: err.message } };
    } else {
      ({ status, body } = toErrorBody(err));
    }
    const retryAfter = (body as { details?: { retryAfterSeconds?: unknown } }).details
      ?.retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    if (status >= 500) request.log.error({ err }, 'request failed');
    else request.log.warn({ code: body.code, msg: body.message.en }, 'request rejected');
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      code: 'not_found',
      message: {
        vi: `Không tìm thấy: ${request.method} ${redactUrl(request.url)}`,
        en: `Not found: ${request.method} ${redactUrl(request.url)}`,
      } satisfies Text,
    });
  });
}
