/**
 * The API's OpenAPI document: valid OpenAPI 3.1 (checked against the specification's own
 * schema), served without credentials, and naming every route the support server has under
 * /api/v1 with its method.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createHarness, type Harness } from '../support/harness.js';
import { supportSetup } from '../support/support-server.js';

let h: Harness;
let doc: { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

beforeAll(async () => {
  h = await createHarness('openapi');
  const { config } = await supportSetup(h.dir);
  await h.startWorker({}, undefined, undefined, config);
  const res = await fetch(`${h.worker!.support!.url}/api/v1/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as typeof doc;
});
afterAll(() => h?.close());

describe('the OpenAPI document', () => {
  it('validates as OpenAPI 3.1', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('has every API route of the server, and nothing else', () => {
    const routes = h.worker!.support!.routes
      .filter((r) => r.url.startsWith('/api/v1/') && r.url !== '/api/v1/openapi.json')
      .map((r) => `${r.method.toLowerCase()} ${r.url.replace(/:(\w+)/g, '{$1}')}`)
      .sort();
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`)).sort();
    expect(routes.length).toBe(13);
    expect(documented).toEqual(routes);
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const codes = Object.keys(op.responses);
        expect(codes, `${method} ${path}`).toContain('401');
        expect(codes.some((c) => c.startsWith('2')), `${method} ${path}`).toBe(true);
      }
    }
  });
});
