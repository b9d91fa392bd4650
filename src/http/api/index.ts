/**
 * The support API under /api/v1, for support staff and the customer portal, described by an
 * OpenAPI 3.1 document at /api/v1/openapi.json (generated from the routes' own schemas, so it
 * cannot drift from what the server validates).
 */
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { SupportContext } from '../support/context.js';
import { registerFailedRoutes } from './failed-routes.js';
import { registerOtherRoutes } from './other-routes.js';

export const API_PREFIX = '/api/v1';

/** Registers @fastify/swagger: call before any route, so it sees them all. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'collab-worker support API',
        version: '1',
        description: 'Failed messages, collaborations, overview and audit log for support staff; activation-link redemption for the customer portal.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'a token from SUPPORT_TOKENS_FILE, limited to its scopes' },
          session: { type: 'apiKey', in: 'cookie', name: 'collab_console', description: 'a console session; writes need the x-csrf-token header' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    // Only the API is described; the console's pages and the document itself are not API.
    transform: ({ schema, url }) => ({ schema: url.startsWith(API_PREFIX) && url !== `${API_PREFIX}/openapi.json` ? schema : { ...schema, hide: true }, url }),
  });
}

export function registerApi(app: FastifyInstance, ctx: SupportContext): void {
  registerFailedRoutes(app, ctx);
  registerOtherRoutes(app, ctx);
  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true } }, async () => app.swagger());
}
