/**
 * One error handler for the support server: the API answers `{ error: { code, message, field } }`
 * with the right status, the console an HTML page (or the login page when not logged in).
 * Unexpected errors are logged and answered 500 without their details.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InputError, NotFoundError, UnavailableError } from '../../support/errors.js';
import { AuthError } from './auth.js';
import type { Logger } from '../../logger.js';

interface Answer {
  status: number;
  code: string;
  message: string;
  field: string | null;
}

export function answerFor(err: FastifyError | Error): Answer | undefined {
  if (err instanceof AuthError) return { status: err.statusCode, code: err.code, message: err.message, field: null };
  if (err instanceof InputError) return { status: 400, code: 'invalid_request', message: err.message, field: err.field };
  if (err instanceof NotFoundError) return { status: 404, code: 'not_found', message: err.message, field: null };
  if (err instanceof UnavailableError) return { status: 503, code: 'unavailable', message: err.message, field: null };
  const f = err as FastifyError;
  if (f.validation) {
    const first = f.validation[0];
    const field = first ? `${(first.instancePath || '').replace(/^\//, '').replace(/\//g, '.')}${first.params && 'missingProperty' in first.params ? String(first.params.missingProperty) : ''}` : null;
    return { status: 400, code: 'invalid_request', message: f.message, field: field || null };
  }
  if (f.code?.startsWith('FST_CSRF')) return { status: 403, code: 'csrf', message: 'missing or wrong CSRF token (send the x-csrf-token header, or the form\'s _csrf field)', field: null };
  if (f.statusCode === 429) return { status: 429, code: 'rate_limited', message: f.message, field: null };
  if (f.statusCode && f.statusCode >= 400 && f.statusCode < 500) return { status: f.statusCode, code: f.code ?? 'bad_request', message: f.message, field: null };
  return undefined;
}

export function registerErrorHandler(app: FastifyInstance, log: Logger, renderConsoleError: (request: FastifyRequest, reply: FastifyReply, answer: Answer) => unknown): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let answer = answerFor(err);
    if (!answer) {
      log.error({ err, method: request.method, route: request.routeOptions.url }, 'support request failed');
      answer = { status: 500, code: 'internal', message: 'something went wrong on our side; it is in the worker\'s log', field: null };
    }
    if (request.url.startsWith('/api/')) {
      if (answer.status === 401) reply.header('www-authenticate', 'Bearer');
      return reply.code(answer.status).type('application/json').send({ error: { code: answer.code, message: answer.message, field: answer.field } });
    }
    return renderConsoleError(request, reply, answer);
  });
  app.setNotFoundHandler((request, reply) => {
    const answer: Answer = { status: 404, code: 'not_found', message: `nothing at ${request.method} ${request.url.split('?')[0]}`, field: null };
    if (request.url.startsWith('/api/')) return reply.code(404).type('application/json').send({ error: { code: answer.code, message: answer.message, field: null } });
    return renderConsoleError(request, reply, answer);
  });
}

export type { Answer };
