/**
 * The support server's security settings, over real HTTP(S) against a worker on real RabbitMQ,
 * SMTP and SQLite: Secure cookies over TLS, idle sessions ending, and logs that never hold a
 * password, a token or a full email address.
 */
import { execFileSync } from 'node:child_process';
import https from 'node:https';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHarness, fixtureJson, type Harness } from '../support/harness.js';
import { PASSWORD, supportSetup, type SupportSetup } from '../support/support-server.js';
import { waitFor } from '../support/wait.js';
import { createLogger } from '../../src/logger.js';
import { Worker } from '../../src/worker.js';
import { startSupportServer } from '../../src/http/support/server.js';

let h: Harness;
let s: SupportSetup;
const lines: string[] = [];
let offsetMs = 0;

beforeAll(async () => {
  h = await createHarness('support-security');
  const cert = path.join(h.dir, 'cert.pem');
  const key = path.join(h.dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'pipe' });
  s = await supportSetup(h.dir, { SUPPORT_TLS_CERT: cert, SUPPORT_TLS_KEY: key, SUPPORT_SESSION_IDLE: '10m' });
  const memory = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
  // Activation links that outlive their invitation (30 days against 14): the invitation's expiry must still end them.
  h.worker = await Worker.start({
    config: { ...h.config, logLevel: 'trace', activationTokenTtlMs: 30 * 86_400_000 },
    log: createLogger('trace', memory),
    support: s.config,
    clock: () => new Date(Date.now() + offsetMs),
  });
});
afterAll(() => h?.close());

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** HTTPS with the test's self-signed certificate, a cookie jar of one session. */
class TlsClient {
  cookie: string | undefined;
  csrf: string | undefined;
  request(method: string, url: string, body?: { form?: Record<string, string>; json?: unknown; bearer?: string }): Promise<Answer> {
    const target = new URL(url, h.worker!.support!.url);
    const payload = body?.form ? new URLSearchParams(body.form).toString() : body?.json !== undefined ? JSON.stringify(body.json) : undefined;
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = this.cookie;
    if (body?.bearer) headers.authorization = `Bearer ${body.bearer}`;
    if (payload !== undefined) headers['content-type'] = body?.form ? 'application/x-www-form-urlencoded' : 'application/json';
    return new Promise((resolve, reject) => {
      const req = https.request(target, { method, headers, rejectUnauthorized: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => {
          const set = (res.headers['set-cookie'] ?? []).find((c) => c.startsWith('collab_console='));
          if (set) this.cookie = set.split(';')[0];
          const csrf = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
          if (csrf) this.csrf = csrf;
          resolve({ status: res.statusCode!, headers: res.headers, text });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }
  async login(user: string, password = PASSWORD): Promise<Answer> {
    await this.request('GET', '/console/login');
    return this.request('POST', '/console/login', { form: { _csrf: this.csrf!, username: user, password } });
  }
}

describe('support server security', () => {
  it('over TLS: https, and the session cookie is Secure, HttpOnly and SameSite=Strict', async () => {
    expect(h.worker!.support!.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
    const client = new TlsClient();
    const login = await client.login('anna');
    expect(login.status).toBe(303);
    const cookie = [login.headers['set-cookie']].flat().find((c) => c?.startsWith('collab_console='))!;
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Strict/i);
    expect((await client.request('GET', '/console')).status).toBe(200);
  });

  it('a session unused for SUPPORT_SESSION_IDLE ends: the next request is sent to the login page', async () => {
    const client = new TlsClient();
    await client.login('vera');
    expect((await client.request('GET', '/console/audit')).status).toBe(200);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 9 * 60_000 });
    try {
      expect((await client.request('GET', '/console/audit')).status).toBe(200); // used within 10 minutes: still on, and kept alive
      vi.setSystemTime(Date.now() + 9 * 60_000);
      expect((await client.request('GET', '/console/audit')).status).toBe(200);
      vi.setSystemTime(Date.now() + 10 * 60_000 + 1000);
      const expired = await client.request('GET', '/console/audit');
      expect(expired.status).toBe(303);
      expect(expired.headers.location).toMatch(/^\/console\/login/);
      expect((await client.request('GET', '/api/v1/overview')).status).toBe(401);
    } finally {
      vi.useRealTimers();
    }
  });

  it('no password, token or full email address in any log line', async () => {
    const client = new TlsClient();
    await client.login('anna', 'wrong-password-Xy9');
    await client.login('karin.berg@kaffekoppen.example', PASSWORD); // an email typed as the user name
    await client.login('anna');
    const welcome = fixtureJson('activated-digital-invoices-new.json');
    await h.publish(welcome);
    const mail = await waitFor(() => h.smtp.to(welcome.data.customer.contact.email)[0], 'the welcome email');
    const token = decodeURIComponent(/token=([^"&\s]+)/.exec(mail.parsed.text ?? '')![1]!);
    const redeemed = await client.request('POST', '/api/v1/activations/redeem', { json: { token }, bearer: s.tokens.portal });
    expect(redeemed.status).toBe(200);
    expect((await client.request('POST', '/api/v1/activations/redeem', { json: { token }, bearer: s.tokens.portal })).status).toBe(409);
    await client.request('GET', `/console/collaborations?q=${encodeURIComponent('karin.berg@kaffekoppen.example')}`);
    await client.request('GET', '/api/v1/overview', { bearer: 'cwt_wrong-token-Qz7' });
    await waitFor(() => lines.some((l) => l.includes('activation link redeemed')), 'the redemption in the log');

    const log = lines.join('');
    expect(log).toContain('console login failed');
    for (const secret of [PASSWORD, 'wrong-password-Xy9', token, s.tokens.portal, 'cwt_wrong-token-Qz7', 'karin.berg@kaffekoppen.example', 'anna.andersson@byran-norr.example']) {
      expect(log, secret).not.toContain(secret);
    }
  });

  it('an activation link stops working when its invitation expires, before ACTIVATION_TOKEN_TTL', async () => {
    const welcome = fixtureJson('activated-digital-invoices-new.json');
    const event = { ...welcome, id: 'welcome-expiring', data: { ...welcome.data, collaborationId: 'col-exp', customer: { ...welcome.data.customer, id: 'cust-exp', contact: { ...welcome.data.customer.contact, email: 'expiring@kaffekoppen.example' } } } };
    await h.publish(event);
    const mail = await waitFor(() => h.smtp.to('expiring@kaffekoppen.example')[0], 'the welcome email');
    const token = decodeURIComponent(/token=([^"&\s]+)/.exec(mail.parsed.text ?? '')![1]!);
    offsetMs = 15 * 86_400_000; // past INVITATION_EXPIRY_DAYS (14), within the link's 30 days
    try {
      const client = new TlsClient();
      const expired = await client.request('POST', '/api/v1/activations/redeem', { json: { token }, bearer: s.tokens.portal });
      expect(expired.status).toBe(410);
      expect(JSON.parse(expired.text).error).toMatchObject({ code: 'token_expired', message: expect.stringContaining('invitation expired') });
    } finally {
      offsetMs = 0;
    }
  });

  it('a port in use stops the start with the variables named', async () => {
    const taken = h.worker!.support!.port;
    const { config } = await supportSetup(h.dir, { SUPPORT_PORT: String(taken) });
    await expect(startSupportServer({ config, store: h.worker!.store, operations: h.worker!.operations!, log: createLogger('silent'), readiness: () => h.worker!.ready(), clock: Date.now, onActivated: () => undefined })).rejects.toThrow(
      `the support console cannot listen on SUPPORT_HOST=127.0.0.1 SUPPORT_PORT=${taken}: the port is in use`,
    );
  });
});
