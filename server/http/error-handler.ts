import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { type ErrorBody, toErrorBody } from '../../protocol/errors.js';
import { redactUrl } from './redact.js';

/** One mapping from errors to responses: stable code, a message naming the field, no internals above 499. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let status: number;
    let body: ErrorBody;
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'body';
      const message = err.validation
        .map((v) => {
          const field = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
          return `${where}${field ? `.${field}` : ''}: ${v.message}`;
        })
        .join('; ');
      status = 400;
      body = { code: 'bad_request', message };
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
      body = { code, message: err.message };
    } else {
      ({ status, body } = toErrorBody(err));
    }
    if (status >= 500) request.log.error({ err }, 'request failed');
    else request.log.warn({ code: body.code, msg: body.message }, 'request rejected');
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      code: 'not_found',
      message: `Không tìm thấy / Not found: ${request.method} ${redactUrl(request.url)}`,
    });
  });
}
