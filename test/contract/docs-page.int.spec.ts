/**
 * The contract as the worker serves it: /asyncapi.yaml (whose $refs resolve against the worker
 * itself), the schema files, and /docs rendered in a real headless Chromium that may reach
 * nothing but the worker.
 */
import fs from 'node:fs';
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { chromium, type Browser } from 'playwright-core';
import { Parser, fromURL } from '@asyncapi/parser';
import { startHttpServer } from '../../src/http/server.js';
import { ASYNCAPI_FILE, SCHEMAS_DIR } from '../../src/contract/asyncapi-document.js';
import { COMMAND_TYPES, INCOMING_EVENT_TYPES, OUTGOING_EVENT_TYPES } from '../../src/messages/schemas.js';
import { CHROMIUM_PATH, CHROMIUM_ARGS } from '../support/browser.js';

let server: http.Server & { port: number };
let base: string;
let browser: Browser;

beforeAll(async () => {
  server = await startHttpServer(0, { ready: () => ({ ready: true, detail: {} }) }, new Registry());
  base = `http://127.0.0.1:${server.port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('the contract over HTTP', () => {
  it('serves asyncapi.yaml and the schema files it references, and nothing else under /schemas', async () => {
    const doc = await fetch(`${base}/asyncapi.yaml`);
    expect(doc.status).toBe(200);
    expect(doc.headers.get('content-type')).toContain('yaml');
    expect(await doc.text()).toBe(fs.readFileSync(ASYNCAPI_FILE, 'utf8'));
    const schema = await fetch(`${base}/schemas/events/collaboration.activated.schema.json`);
    expect(await schema.text()).toBe(fs.readFileSync(`${SCHEMAS_DIR}/events/collaboration.activated.schema.json`, 'utf8'));
    for (const path of ['/schemas/../package.json', '/schemas/%2e%2e/package.json', '/schemas/events/']) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);
    }
  });

  it('serves a document a tool can parse from its URL: the $refs resolve against the worker', async () => {
    const { document, diagnostics } = await fromURL(new Parser(), `${base}/asyncapi.yaml`).parse();
    expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
    expect(document!.channels().length).toBe(19); // 3 events in, 5 events out, 11 commands
  });

  it('renders /docs in a browser that can reach nothing but the worker', async () => {
    const page = await browser.newPage();
    const elsewhere: string[] = [];
    const errors: string[] = [];
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.host === `127.0.0.1:${server.port}`) return route.continue();
      elsewhere.push(url.href);
      return route.abort();
    });
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${base}/docs`);
    // Rendered by the component: the title, the description, an operation per routing key.
    await page.getByText('subscription.service.activate').first().waitFor({ timeout: 30_000 });
    const text = await page.locator('#asyncapi').innerText();
    for (const expected of ['collab-worker', 'traceparent', ...INCOMING_EVENT_TYPES, ...OUTGOING_EVENT_TYPES, ...COMMAND_TYPES]) {
      expect(text, expected).toContain(expected);
    }
    expect(text).not.toMatch(/error/i);
    await page.screenshot({ path: `${process.env.SCREENSHOT_DIR ?? '/tmp'}/collab-worker-docs.png` });
    expect(elsewhere).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
