/**
 * The support console and API as a test uses them: users and tokens written to files the way
 * an operator would (hashes made by the same code as the CLI), and an HTTP client that keeps a
 * session cookie and reads CSRF tokens from the pages, over real HTTP.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadSupportConfig, type SupportConfig } from '../../src/http/support/config.js';
import { hashPassword } from '../../src/http/support/password.js';
import { newApiToken, tokenSha256 } from '../../src/http/support/principals.js';

export const PASSWORD = 'correct horse battery staple';

export interface SupportSetup {
  config: SupportConfig;
  /** Bearer tokens by client name. */
  tokens: Record<string, string>;
}

/** Users anna (operator) and vera (viewer), clients portal (activation:redeem), reader (failed:read) and ops (failed:read,failed:write). */
export async function supportSetup(dir: string, env: Record<string, string> = {}): Promise<SupportSetup> {
  const usersFile = path.join(dir, 'users');
  const tokensFile = path.join(dir, 'tokens');
  const hash = await hashPassword(PASSWORD);
  fs.writeFileSync(usersFile, `# support staff\nanna operator ${hash}\nvera viewer ${hash}\n`);
  const tokens = { portal: newApiToken(), reader: newApiToken(), ops: newApiToken() };
  fs.writeFileSync(
    tokensFile,
    [`portal activation:redeem sha256:${tokenSha256(tokens.portal)}`, `reader failed:read sha256:${tokenSha256(tokens.reader)}`, `ops failed:read,failed:write sha256:${tokenSha256(tokens.ops)}`].join('\n'),
  );
  const config = loadSupportConfig({ SUPPORT_USERS_FILE: usersFile, SUPPORT_TOKENS_FILE: tokensFile, SUPPORT_PORT: '0', ...env })!;
  return { config, tokens };
}

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** One browser-less client: a cookie jar of one session, and bearer tokens on request. */
export class SupportClient {
  private cookie: string | undefined;
  csrf: string | undefined;

  constructor(readonly base: string) {}

  async request<T = any>(method: string, url: string, options: { json?: unknown; form?: Record<string, string | string[]>; bearer?: string; headers?: Record<string, string> } = {}): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookie) headers.cookie = this.cookie;
    if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(options.form)) for (const one of [v].flat()) params.append(k, one);
      body = params.toString();
    }
    const res = await fetch(`${this.base}${url}`, { method, headers, body, redirect: 'manual' });
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('collab_console='));
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = await res.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
    if (csrf) this.csrf = csrf;
    let parsed: unknown = text;
    if (res.headers.get('content-type')?.includes('json')) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  /** Logs in through the login form, as a browser would. */
  async login(user: string, password = PASSWORD): Promise<Answer> {
    await this.request('GET', '/console/login');
    return this.request('POST', '/console/login', { form: { _csrf: this.csrf!, username: user, password } });
  }

  get sessionCookie(): string | undefined {
    return this.cookie;
  }
}
