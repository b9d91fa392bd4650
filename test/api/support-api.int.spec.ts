/**
 * The support API over real HTTP, against a worker on a real RabbitMQ, SMTP server and SQLite
 * file: every endpoint, paging and filters, bulk requeue with progress, who may do what.
 */
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, fixture, fixtureJson, type Harness } from '../support/harness.js';
import { supportSetup, SupportClient, type SupportSetup } from '../support/support-server.js';
import { waitFor } from '../support/wait.js';
import { loadSupportConfig } from '../../src/http/support/config.js';

let h: Harness;
let s: SupportSetup;
let api: SupportClient;
let offsetMs = 0;

beforeAll(async () => {
  h = await createHarness('support-api');
  s = await supportSetup(h.dir, { SUPPORT_LOGIN_ATTEMPTS: '4' });
  await h.startWorker({}, () => new Date(Date.now() + offsetMs), undefined, s.config);
  api = new SupportClient(h.worker!.support!.url);
});
afterAll(() => h?.close());

const approval = (collaborationId: string, id = `approval-${collaborationId}`) => ({
  ...fixtureJson('approved.json'),
  id,
  data: { collaborationId, approvedBy: { name: 'Karin Berg', email: 'karin@kaffekoppen.example' } },
});
const activation = (collaborationId: string, customer: Record<string, unknown> = {}) => {
  const a = fixtureJson('activated-scanner-has-account.json');
  return { ...a, id: `activation-${collaborationId}`, data: { ...a.data, collaborationId, customer: { ...a.data.customer, ...customer } } };
};
const failedOf = (query = '') => api.request('GET', `/api/v1/failed-messages${query}`, { bearer: s.tokens.ops });

describe('security', () => {
  it('is off until configured and binds 127.0.0.1 by default', () => {
    expect(loadSupportConfig({})).toBeUndefined();
    expect(s.config.host).toBe('127.0.0.1');
    expect(h.worker!.support!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers 401 to every API route without credentials, and 401 to a wrong token', async () => {
    const routes = h.worker!.support!.routes.filter((r) => r.url.startsWith('/api/v1') && !r.url.endsWith('openapi.json'));
    expect(routes.length).toBeGreaterThanOrEqual(12);
    for (const r of routes) {
      const url = r.url.replace(':id', '1');
      const answer = await api.request(r.method, url, r.method === 'POST' ? { json: {} } : {});
      expect(answer.status, `${r.method} ${url}`).toBe(401);
      expect(answer.body.error.code).toBe('unauthenticated');
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect((await api.request('GET', '/api/v1/overview', { bearer: 'cwt_not-a-token' })).status).toBe(401);
    const nowhere = await api.request('GET', '/api/v1/nowhere', { bearer: s.tokens.reader });
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.error.code).toBe('not_found');
  });

  it('answers 403 to a token without the scope', async () => {
    const portalReads = await api.request('GET', '/api/v1/failed-messages', { bearer: s.tokens.portal });
    expect(portalReads.status).toBe(403);
    expect(portalReads.body.error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('failed:read') });
    const readerRequeues = await api.request('POST', '/api/v1/failed-messages/requeue', { bearer: s.tokens.reader, json: { all: true } });
    expect(readerRequeues.status).toBe(403);
    expect((await api.request('POST', '/api/v1/activations/redeem', { bearer: s.tokens.ops, json: { token: 'x' } })).status).toBe(403);
  });

  it('a viewer may read but gets 403 on requeue; an operator session needs the CSRF token to write', async () => {
    const viewer = new SupportClient(api.base);
    expect((await viewer.login('vera')).status).toBe(303);
    expect((await viewer.request('GET', '/api/v1/failed-messages')).status).toBe(200);
    await viewer.request('GET', '/console');
    const refused = await viewer.request('POST', '/api/v1/failed-messages/requeue', { json: { all: true }, headers: { 'x-csrf-token': viewer.csrf! } });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');

    const operator = new SupportClient(api.base);
    await operator.login('anna');
    const cookie = operator.sessionCookie!;
    const withoutCsrf = await operator.request('POST', '/api/v1/failed-messages/archive', { json: { ids: [1] } });
    expect(withoutCsrf.status).toBe(403);
    expect(withoutCsrf.body.error.code).toBe('csrf');
    const wrongCsrf = await operator.request('POST', '/api/v1/failed-messages/archive', { json: { ids: [1] }, headers: { 'x-csrf-token': 'forged' } });
    expect(wrongCsrf.status).toBe(403);
    // a console form without its _csrf field is refused too
    const formWithout = await operator.request('POST', '/console/failed/archive', { form: { ids: '1', confirm: 'yes' } });
    expect(formWithout.status).toBe(403);
    await operator.request('GET', '/console');
    const withCsrf = await operator.request('POST', '/api/v1/failed-messages/archive', { json: { ids: [999_999] }, headers: { 'x-csrf-token': operator.csrf! } });
    expect(withCsrf.status).toBe(404); // past auth and CSRF: there is no such message
    expect(operator.sessionCookie).toBe(cookie);
  });

  it('session cookies are HttpOnly and SameSite=Strict, a new id at login, and logins are rate-limited', async () => {
    const client = new SupportClient(api.base);
    const page = await client.request('GET', '/console/login');
    const before = client.sessionCookie;
    const login = await client.request('POST', '/console/login', { form: { _csrf: client.csrf!, username: 'anna', password: 'correct horse battery staple' } });
    const cookie = login.headers.getSetCookie().find((c) => c.startsWith('collab_console='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).not.toMatch(/Secure/i); // plain HTTP here
    expect(client.sessionCookie).not.toBe(before);
    expect(page.status).toBe(200);

    const guesser = new SupportClient(api.base);
    await guesser.request('GET', '/console/login');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await guesser.request('POST', '/console/login', { form: { _csrf: guesser.csrf!, username: 'mallory', password: `guess-${i}` } })).status);
    // 4 attempts a minute for one user name from one address (SUPPORT_LOGIN_ATTEMPTS)
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    expect((await new SupportClient(api.base).login('vera')).status).toBe(303); // others still log in
  });
});

describe('failed messages', () => {
  let ids: number[] = [];

  it('lists with filters and cursor paging, groups with counts and first/last failure, one message whole', async () => {
    for (const c of ['col-a1', 'col-a2', 'col-a3', 'col-a4', 'col-a5']) await h.publish(approval(c));
    await h.publish(fixture('invalid/missing-task.json'));
    await h.publish(Buffer.from('{"truncated": '), 'collaboration.activated');
    const all = await waitFor(async () => {
      const page = await failedOf('?limit=500');
      return page.body.total === 7 && page.body.items.length === 7 && page.body;
    }, '7 failed messages');
    ids = all.items.map((m: { id: number }) => m.id);

    // paging: 3 + 3 + 1, newest first, each once
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { body: { items: { id: number }[]; nextCursor: string | null; total: number } } = await failedOf(`?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.body.total).toBe(7);
      seen.push(...page.body.items.map((m) => m.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(ids);

    expect((await failedOf('?type=collaboration.approved')).body.total).toBe(5);
    expect((await failedOf('?reason=taskId')).body.total).toBe(1);
    expect((await failedOf('?collaborationId=col-a3')).body.items).toHaveLength(1);
    expect((await failedOf('?eventId=approval-col-a2')).body.items[0].collaborationId).toBe('col-a2');
    expect((await failedOf(`?from=${new Date(Date.now() + 60_000).toISOString()}`)).body.total).toBe(0);
    expect((await failedOf(`?to=${new Date(Date.now() + 60_000).toISOString()}`)).body.total).toBe(7);
    expect((await failedOf('?status=archived')).body.total).toBe(0);

    const badLimit = await failedOf('?limit=0');
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.error.message).toMatch(/limit/);
    const badCursor = await failedOf('?cursor=nonsense');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error.field).toBe('cursor');
    const badTime = await failedOf('?from=yesterday');
    expect(badTime.status).toBe(400);
    expect(badTime.body.error.message).toMatch(/from/);

    const groups = (await api.request('GET', '/api/v1/failed-messages/groups', { bearer: s.tokens.reader })).body;
    expect(groups.map((g: { count: number }) => g.count)).toEqual([5, 1, 1]);
    expect(groups[0]).toMatchObject({ errorClass: 'RetriesExhausted', types: ['collaboration.approved'] });
    expect(Date.parse(groups[0].firstFailedAt)).toBeLessThanOrEqual(Date.parse(groups[0].lastFailedAt));

    const one = await api.request('GET', `/api/v1/failed-messages/${all.items.find((m: { collaborationId: string }) => m.collaborationId === 'col-a1').id}`, { bearer: s.tokens.reader });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ type: 'collaboration.approved', attempts: 4, routingKey: 'collaboration.approved', audit: [] });
    expect(JSON.parse(one.body.body).data.collaborationId).toBe('col-a1');
    expect(one.body.headers).toBeTypeOf('object');
    expect((await api.request('GET', '/api/v1/failed-messages/999999', { bearer: s.tokens.reader })).status).toBe(404);
  });

  it('console forms: every bulk action first says how many messages it touches, within the list\'s filters and group', async () => {
    const anna = new SupportClient(api.base);
    await anna.login('anna');
    const group = (await failedOf('?collaborationId=col-a1')).body.items[0].group as string;
    const list = await anna.request('GET', `/console/failed?group=${group}`);
    expect(list.text).toContain('5 matching in group');
    const count = (text: string) => /This will (\w+) <strong>(\d+)<\/strong>/.exec(text)?.slice(1);
    const all = await anna.request('POST', '/console/failed/requeue', { form: { _csrf: anna.csrf!, all: '1', group } });
    expect(count(all.text)).toEqual(['requeue', '5']);
    const allOfType = await anna.request('POST', '/console/failed/requeue', { form: { _csrf: anna.csrf!, all: '1', type: 'collaboration.activated' } });
    expect(count(allOfType.text)).toEqual(['requeue', '2']);
    const byGroup = await anna.request('POST', '/console/failed/requeue', { form: { _csrf: anna.csrf!, group } });
    expect(count(byGroup.text)).toEqual(['requeue', '5']);
    const ticked = await anna.request('POST', '/console/failed/selection', { form: { _csrf: anna.csrf!, action: 'archive', ids: ids.slice(0, 3).map(String) } });
    expect(count(ticked.text)).toEqual(['archive', '3']);
    // nothing was done: every message is still failed
    expect((await failedOf()).body.total).toBe(7);
  });

  it('archive and unarchive, each in the audit trail with who did it', async () => {
    const bad = (await failedOf('?reason=JSON')).body.items[0].id as number;
    const archived = await api.request('POST', '/api/v1/failed-messages/archive', { bearer: s.tokens.ops, json: { ids: [bad] } });
    expect(archived.body).toEqual({ changed: [bad], unchanged: [] });
    const again = await api.request('POST', '/api/v1/failed-messages/archive', { bearer: s.tokens.ops, json: { ids: [bad] } });
    expect(again.body).toEqual({ changed: [], unchanged: [{ id: bad, detail: 'status is archived, not failed' }] });
    expect((await failedOf('?status=archived')).body.total).toBe(1);
    await api.request('POST', '/api/v1/failed-messages/unarchive', { bearer: s.tokens.ops, json: { ids: [bad] } });
    const detail = await api.request('GET', `/api/v1/failed-messages/${bad}`, { bearer: s.tokens.ops });
    expect(detail.body.status).toBe('failed');
    expect(detail.body.audit.map((a: { action: string; actor: string }) => `${a.action} by ${a.actor}`)).toEqual(['archived by client:ops', 'unarchived by client:ops']);
    const noIds = await api.request('POST', '/api/v1/failed-messages/archive', { bearer: s.tokens.ops, json: {} });
    expect(noIds.status).toBe(400);
    expect(noIds.body.error.message).toMatch(/ids/);
  });

  it('requeues a group as a background operation with progress; the same request twice handles nothing twice', async () => {
    const group = (await failedOf('?collaborationId=col-a1')).body.items[0].group as string;
    for (const c of ['col-a1', 'col-a2', 'col-a3', 'col-a4', 'col-a5']) await h.publish(activation(c));
    await h.capture.waitForCommands(5); // one activation command each: the cause is fixed

    const headers = { 'idempotency-key': 'requeue-group-1' };
    const [first, second, sameKeyAtOnce] = await Promise.all([
      api.request('POST', '/api/v1/failed-messages/requeue', { bearer: s.tokens.ops, json: { group }, headers }),
      api.request('POST', '/api/v1/failed-messages/requeue', { bearer: s.tokens.ops, json: { group } }),
      api.request('POST', '/api/v1/failed-messages/requeue', { bearer: s.tokens.ops, json: { group }, headers }),
    ]);
    expect(first.status).toBe(202);
    expect(sameKeyAtOnce.status).toBe(200);
    expect(sameKeyAtOnce.body.id).toBe(first.body.id);
    expect(first.headers.get('location')).toBe(`/api/v1/operations/${first.body.id}`);
    expect(first.body).toMatchObject({ kind: 'requeue', selection: `group ${group}`, actor: 'client:ops', total: 5 });
    const repeat = await api.request('POST', '/api/v1/failed-messages/requeue', { bearer: s.tokens.ops, json: { group }, headers });
    expect(repeat.status).toBe(200);
    expect(repeat.body.id).toBe(first.body.id);

    const done = await Promise.all([first, second].map((op) =>
      waitFor(async () => {
        const progress = await api.request('GET', `/api/v1/operations/${op.body.id}`, { bearer: s.tokens.reader });
        return progress.body.status !== 'running' && progress.body;
      }, 'the requeue operations to finish'),
    ));
    expect(done.map((o) => o.status)).toEqual(['done', 'done']);
    expect(done.map((o) => o.processed)).toEqual([done[0].total, done[1].total]);
    expect(done[0].requeued + done[1].requeued).toBe(5); // each message sent back once, by one of the two
    const approvedCommands = await h.capture.waitForCommands(10);
    const emails = await waitFor(() => h.smtp.received.filter((m) => /godkänt|approved/i.test(m.parsed.subject ?? '')).length >= 5 && h.smtp.received, 'the approval emails');
    expect((await failedOf()).body.items.filter((m: { group: string }) => m.group === group)).toEqual([]);

    // sent again after it all settled: nothing left to requeue in the group
    const later = await api.request('POST', '/api/v1/failed-messages/requeue', { bearer: s.tokens.ops, json: { group } });
    const after = await waitFor(async () => {
      const p = await api.request('GET', `/api/v1/operations/${later.body.id}`, { bearer: s.tokens.ops });
      return p.body.status === 'done' && p.body;
    }, 'the empty requeue to finish');
    expect(after).toMatchObject({ total: 0, requeued: 0 });
    const byIds = await api.request('POST', '/api/v1/failed-messages/requeue', { bearer: s.tokens.ops, json: { ids: [ids[ids.length - 1]!, ids[0]!] } });
    const byIdsDone = await waitFor(async () => {
      const p = await api.request('GET', `/api/v1/operations/${byIds.body.id}`, { bearer: s.tokens.ops });
      return p.body.status === 'done' && p.body;
    }, 'the requeue by ids');
    expect(byIdsDone.skipped).toBeGreaterThanOrEqual(1); // an approval already requeued is not sent again
    await h.capture.waitForCommands(10);
    expect(h.capture.commands).toHaveLength(approvedCommands.length);
    expect(emails.filter((m) => /godkänt|approved/i.test(m.parsed.subject ?? ''))).toHaveLength(5);

    // the same key twice in the same instant (before either has read its selection): one operation
    const operations = h.worker!.operations!;
    const [a, b] = await Promise.all([operations.start({ group }, 'client:ops', 'at-once'), operations.start({ group }, 'client:ops', 'at-once')]);
    expect(b).toMatchObject({ created: false, operation: { id: a.operation.id } });
    expect(a.created).toBe(true);

    const list = await api.request('GET', '/api/v1/operations', { bearer: s.tokens.reader });
    expect(list.body.length).toBeGreaterThanOrEqual(4);
    expect((await api.request('GET', '/api/v1/operations/nope', { bearer: s.tokens.reader })).status).toBe(404);
    const neither = await api.request('POST', '/api/v1/failed-messages/requeue', { bearer: s.tokens.ops, json: { group, all: true } });
    expect(neither.status).toBe(400);
    const unknown = await api.request('POST', '/api/v1/failed-messages/requeue', { bearer: s.tokens.ops, json: { ids: [999_999] } });
    expect(unknown.status).toBe(404);
  });
});

describe('collaborations, overview, audit log', () => {
  it('search by id, customer id, org number or name; the timeline of one; the overview; the audit log', async () => {
    const byName = await api.request('GET', '/api/v1/collaborations?q=akeri', { bearer: s.tokens.ops });
    expect(byName.status).toBe(403); // ops has no collaborations:read
    const viewer = new SupportClient(api.base);
    await viewer.login('vera');
    const a = fixtureJson('activated-scanner-has-account.json').data;
    for (const q of ['col-a2', a.customer.id, a.customer.orgNumber, a.customer.name.slice(2, 8).toLowerCase()]) {
      const found = await viewer.request('GET', `/api/v1/collaborations?q=${encodeURIComponent(q)}`);
      expect(found.status, q).toBe(200);
      expect(found.body.map((c: { id: string }) => c.id), q).toContain('col-a2');
    }
    expect((await viewer.request('GET', '/api/v1/collaborations')).status).toBe(400);

    const t = (await viewer.request('GET', '/api/v1/collaborations/col-a2/timeline')).body;
    expect(t.collaboration).toMatchObject({ id: 'col-a2', state: 'active' });
    const kinds = t.entries.map((e: { kind: string; type?: string; topic?: string; outcome?: string }) => `${e.kind} ${e.type ?? e.topic}${e.outcome ? ` ${e.outcome}` : ''}`);
    expect(kinds).toEqual(expect.arrayContaining([
      'event-received collaboration.activated handled',
      'event-received collaboration.approved handled',
      'email invitation',
      'email collaboration-approved',
      'command subscription.service.activate',
      'event-published collaboration.invitation-sent',
      'failed-message collaboration.approved',
    ]));
    const email = t.entries.find((e: { kind: string; topic: string }) => e.kind === 'email' && e.topic === 'invitation');
    expect(email).toMatchObject({ status: 'done', attempts: 1, lastError: null });
    expect(t.failedMessages[0].status).toBe('requeued');
    expect((await viewer.request('GET', '/api/v1/collaborations/nope/timeline')).status).toBe(404);

    const overview = (await viewer.request('GET', '/api/v1/overview')).body;
    expect(overview).toMatchObject({ ready: true, broker: 'connected', consuming: true, failed: { failed: 2, requeued: 5 } });
    expect(overview.outbox.pending).toBeGreaterThanOrEqual(0);

    const audit = (await viewer.request('GET', '/api/v1/audit-log?limit=500')).body as { actor: string; action: string }[];
    const lines = audit.map((e) => `${e.action} by ${e.actor}`);
    expect(lines).toEqual(expect.arrayContaining(['login by user:vera', 'login by user:anna', 'login failed by user:mallory', 'archive by client:ops', 'unarchive by client:ops', 'requeue by client:ops']));
  });
});

describe('activation links, for the portal', () => {
  const tokenOf = async (to: string) => {
    const mail = await waitFor(() => h.smtp.to(to)[0], `the welcome email to ${to}`);
    return decodeURIComponent(/token=([^"&\s]+)/.exec(mail.parsed.text ?? '')![1]!);
  };
  const redeem = (token: string, bearer = s.tokens.portal) => api.request('POST', '/api/v1/activations/redeem', { bearer, json: { token } });

  it('redeems once, publishing customer-admin.activated; a second time, an unknown and an expired token each get their own error', async () => {
    const welcome = fixtureJson('activated-digital-invoices-new.json');
    await h.publish(welcome);
    const token = await tokenOf(welcome.data.customer.contact.email);

    const first = await redeem(token);
    expect(first.status).toBe(200);
    expect(first.body.admin).toMatchObject({ customerId: 'cust-5001', collaborationId: 'col-1001', email: 'karin.berg@kaffekoppen.example', firstName: 'Karin' });
    const [activated] = await waitFor(() => {
      const found = h.capture.events.filter((e) => e.routingKey === 'customer-admin.activated');
      return found.length > 0 && found;
    }, 'customer-admin.activated');
    expect(activated!.body.data).toEqual({ collaborationId: 'col-1001', customerId: 'cust-5001', adminId: first.body.admin.id });
    expect(JSON.stringify(activated!.body)).not.toContain(token);

    const second = await redeem(token);
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('token_used');
    const unknown = await redeem('not-a-token-we-made');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('token_unknown');
    const empty = await redeem('');
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toMatch(/token/);

    // another new customer; its link is redeemed after ACTIVATION_TOKEN_TTL (14 days by default)
    const later = { ...welcome, id: 'welcome-2', data: { ...welcome.data, collaborationId: 'col-2002', customer: { ...welcome.data.customer, id: 'cust-6002', contact: { ...welcome.data.customer.contact, email: 'olle@kaffekoppen.example' } } } };
    await h.publish(later);
    const token2 = await tokenOf('olle@kaffekoppen.example');
    offsetMs = h.config.activationTokenTtlMs + 60_000;
    try {
      const expired = await redeem(token2);
      expect(expired.status).toBe(410);
      expect(expired.body.error.code).toBe('token_expired');
    } finally {
      offsetMs = 0;
    }
    expect(h.capture.events.filter((e) => e.routingKey === 'customer-admin.activated')).toHaveLength(1);
    const audit = (await api.request('GET', '/api/v1/audit-log', { bearer: s.tokens.ops })).status;
    expect(audit).toBe(403);

    // the timeline shows the administrator, activated, and never its token
    const viewer = new SupportClient(api.base);
    await viewer.login('vera');
    const t = await viewer.request('GET', '/api/v1/collaborations/col-1001/timeline');
    expect(t.body.admin).toMatchObject({ id: first.body.admin.id, email: 'karin.berg@kaffekoppen.example', activatedAt: expect.any(String) });
    expect(t.text).not.toContain(token);
    expect(t.text).not.toMatch(/nonce|tokenHash|token_hash/i);
    const log = (await viewer.request('GET', '/api/v1/audit-log')).body as { actor: string; action: string; detail: string | null }[];
    expect(log.filter((e) => e.actor === 'client:portal').map((e) => `${e.action} ${e.detail ?? ''}`)).toEqual(
      expect.arrayContaining(['activation redeemed collaboration col-1001', 'activation refused used', 'activation refused unknown', 'activation refused expired']),
    );
  });
});

describe('requeueing thousands', () => {
  it('answers at once and works through 2,000 messages in the background; each goes back once and, failing again, is listed again', async () => {
    const before = (await failedOf('?limit=1')).body.total as number;
    const earlier = (await failedOf('?reason=JSON&limit=1')).body.total as number; // bad bodies of the tests before
    const n = 2000;
    const connection = await amqp.connect(h.vhost.url);
    const channel = await connection.createConfirmChannel();
    for (let i = 0; i < n; i++) channel.publish('collab.events', 'collaboration.activated', Buffer.from(`{"bulk": ${i}, "truncated": `), { persistent: true });
    await channel.waitForConfirms();
    await connection.close();
    await waitFor(async () => (await failedOf('?reason=JSON&limit=1')).body.total >= earlier + n, `${n} failed messages`, 60_000, 200);

    const started = await api.request('POST', '/api/v1/failed-messages/requeue', { bearer: s.tokens.ops, json: { all: true, filter: { reason: 'JSON' } } });
    expect(started.status).toBe(202);
    expect(started.body.total).toBe(earlier + n);
    const done = await waitFor(async () => {
      const p = await api.request('GET', `/api/v1/operations/${started.body.id}`, { bearer: s.tokens.reader });
      return p.body.status !== 'running' && p.body;
    }, 'the bulk requeue to finish', 120_000, 200);
    expect(done).toMatchObject({ status: 'done', total: earlier + n, processed: earlier + n, requeued: earlier + n, skipped: 0, failed: 0 });

    // back they come, fail again (still not JSON), and are listed again: attempts 2, one row each
    await waitFor(async () => {
      const page = await api.request('GET', '/api/v1/failed-messages?reason=JSON&limit=500', { bearer: s.tokens.reader });
      return page.body.total === earlier + n && page.body.items.every((m: { attempts: number }) => m.attempts >= 2);
    }, 'every requeued message to fail again', 60_000, 200);
    expect((await failedOf('?limit=1')).body.total).toBe(before + n);
  });
});
