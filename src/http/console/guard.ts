/** A preValidation hook: console routes need a logged-in user (a session, never a bearer token) with the route's scope; writes need the CSRF token. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError, checkCsrf } from '../support/auth.js';
import type { Scope } from '../support/principals.js';

export function consoleScope(app: FastifyInstance, scope: Scope) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (request.authenticatedBy !== 'session' || !request.principal) {
      // Not logged in (or the session ran out): to the login page, and back here afterwards for a page.
      const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : '';
      return reply.redirect(`/console/login${next}`, 303);
    }
    if (!request.principal.scopes.includes(scope)) throw new AuthError(403, 'forbidden', `your role (${request.principal.role}) cannot do this: it needs an operator`);
    if (request.method === 'POST') await checkCsrf(app, request, reply);
  };
}
