/**
 * The support console in a real browser (Debian's chromium through playwright-core), against a
 * worker on real RabbitMQ, SMTP and SQLite. The operator's browser runs with JavaScript off: the
 * core actions are plain forms. Screenshots go to docs/ with UPDATE_SCREENSHOTS=1 (the README's).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createHarness, fixture, fixtureJson, type Harness } from '../support/harness.js';
import { PASSWORD, supportSetup } from '../support/support-server.js';
import { openBrowser, type TestBrowser } from '../support/browser.js';
import { waitFor } from '../support/wait.js';

const DOCS = path.resolve(import.meta.dirname, '../../docs');
const XSS_NAME = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">Kaffe & Co AB';

let h: Harness;
let base: string;
const browsers: TestBrowser[] = [];

beforeAll(async () => {
  h = await createHarness('console');
  const { config } = await supportSetup(h.dir);
  await h.startWorker({}, undefined, undefined, config);
  base = h.worker!.support!.url;
});
afterAll(async () => {
  for (const b of browsers) await b.close().catch(() => undefined);
  await h?.close();
});

const approval = (collaborationId: string) => ({
  ...fixtureJson('approved.json'),
  id: `approval-${collaborationId}`,
  data: { collaborationId, approvedBy: { name: 'Karin Berg', email: 'karin@kaffekoppen.example' } },
});
const activation = (collaborationId: string, customer: Record<string, unknown> = {}) => {
  const a = fixtureJson('activated-scanner-has-account.json');
  return { ...a, id: `activation-${collaborationId}`, data: { ...a.data, collaborationId, customer: { ...a.data.customer, ...customer } } };
};

async function screenshot(page: Page, name: string): Promise<void> {
  const file = process.env.UPDATE_SCREENSHOTS ? path.join(DOCS, `console-${name}.png`) : path.join(h.dir, `console-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

async function logIn(page: Page, user: string): Promise<void> {
  await page.goto(`${base}/console/failed`);
  expect(page.url()).toContain('/console/login'); // not logged in: sent to the login page
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/console/failed`);
}

describe('the support console in a browser', () => {
  it('a support user finds the failed message of a bad event, opens it, requeues its group after the fix, sees it leave the list and the email arrive', async () => {
    await h.publish(approval('col-b1'));
    await h.publish(approval('col-b2'));
    await h.publish(fixture('invalid/missing-task.json'));
    await waitFor(async () => (await h.query("SELECT id FROM failed_messages WHERE status = 'failed'")).length === 3, 'three failed messages');

    const browser = await openBrowser({ javaScriptEnabled: false });
    browsers.push(browser);
    const page = await browser.context.newPage();
    await logIn(page, 'anna');

    await page.goto(`${base}/console`);
    expect(await page.textContent('main')).toContain('Failed');
    await screenshot(page, 'overview');

    // find it: filter by the collaboration, open it
    await page.goto(`${base}/console/failed`);
    await page.fill('input[name=collaborationId]', 'col-b1');
    await page.click('form.filters button[type=submit]');
    const rows = page.locator('table').nth(1).locator('tr');
    expect(await rows.count()).toBe(2); // header + the one message
    await rows.nth(1).locator('a').first().click();
    expect(await page.textContent('[data-testid=reason]')).toMatch(/col-b1/);
    expect(await page.textContent('[data-testid=body]')).toContain('"collaborationId": "col-b1"');
    await screenshot(page, 'detail');

    // fix the cause (the activations arrive), then requeue the whole group
    await h.publish(activation('col-b1'));
    await h.publish(activation('col-b2'));
    await h.capture.waitForCommands(2);
    await page.goto(`${base}/console/failed`);
    await page.click('[data-testid=requeue-group] >> nth=0');
    expect(await page.textContent('[data-testid=confirm-count]')).toMatch(/requeue 2 messages/);
    await screenshot(page, 'confirm');
    await page.click('button.primary');
    expect(page.url()).toMatch(/\/console\/operations\//);
    const status = await waitFor(async () => {
      await page.reload();
      const text = (await page.textContent('[data-testid=operation-status]')) ?? '';
      return !text.includes('running') && text;
    }, 'the requeue to finish');
    expect(status).toContain('done');
    expect(await page.textContent('[data-testid=operation-requeued]')).toBe('2 requeued');
    await screenshot(page, 'operation');

    // gone from the list; the approval emails arrive, one each
    await waitFor(async () => {
      await page.goto(`${base}/console/failed`);
      const text = (await page.locator('table').nth(1).textContent()) ?? '';
      return !text.includes('col-b1') && !text.includes('col-b2');
    }, 'the requeued messages to leave the list');
    expect(await page.locator('table').nth(1).textContent()).toContain('taskId'); // the other failure stays
    const approved = await waitFor(() => {
      const mails = h.smtp.received.filter((m) => /godkänt|approved/i.test(m.parsed.subject ?? ''));
      return mails.length === 2 && mails;
    }, 'the two approval emails');
    expect(approved.map((m) => m.envelopeTo[0])).toEqual([activation('x').data.activatedBy.email, activation('x').data.activatedBy.email]);
    await screenshot(page, 'failed');
  });

  it('a viewer sees no requeue button; a customer name holding <script> shows as text', async () => {
    await h.publish(activation('col-xss', { name: XSS_NAME }));
    const bad = fixtureJson('invalid/missing-task.json');
    await h.publish({ ...bad, id: 'xss-in-a-failed-message', data: { ...bad.data, collaborationId: 'col-xss-2', customer: { ...bad.data.customer, name: XSS_NAME } } });
    await waitFor(async () => (await h.query("SELECT 1 FROM failed_messages WHERE collaboration_id = 'col-xss-2'")).length === 1, 'the failed message');
    await waitFor(async () => (await h.query("SELECT 1 FROM collaborations WHERE id = 'col-xss'")).length === 1, 'the collaboration');

    const browser = await openBrowser();
    browsers.push(browser);
    const page = await browser.context.newPage();
    await logIn(page, 'vera');
    expect(await page.locator('button', { hasText: /requeue/i }).count()).toBe(0);
    expect(await page.locator('input[type=checkbox]').count()).toBe(0);
    const id = (await h.query<{ id: number }>("SELECT id FROM failed_messages WHERE status = 'failed'"))[0]!.id;
    await page.goto(`${base}/console/failed/${id}`);
    expect(await page.locator('button', { hasText: 'Requeue' }).count()).toBe(0);
    expect(await page.locator('button', { hasText: 'Archive' }).count()).toBe(0);
    // and the server refuses a viewer's requeue even when the form is sent by hand
    const refused = await page.evaluate(async (id) => {
      const csrf = (document.querySelector('input[name=_csrf]') as HTMLInputElement).value;
      const res = await fetch('/console/failed/requeue', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${csrf}&ids=${id}&confirm=yes` });
      return res.status;
    }, id);
    expect(refused).toBe(403);

    await page.goto(`${base}/console/collaborations`);
    await page.fill('input[name=q]', 'Kaffe & Co');
    await page.click('main button[type=submit]');
    expect(await page.textContent('[data-testid=customer-name]')).toBe(XSS_NAME);
    await page.click('main table a');
    expect(await page.textContent('[data-testid=customer-name]')).toBe(XSS_NAME);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('main script, main img').count()).toBe(0);
    await screenshot(page, 'timeline');

    // the failed message's body shows the markup as text too
    const xssId = (await h.query<{ id: number }>("SELECT id FROM failed_messages WHERE collaboration_id = 'col-xss-2'"))[0]!.id;
    await page.goto(`${base}/console/failed/${xssId}`);
    expect(await page.textContent('[data-testid=body]')).toContain(JSON.stringify(XSS_NAME).slice(1, -1));
    expect(await page.locator('main script, main img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });
});
