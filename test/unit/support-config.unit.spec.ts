import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSupportConfig } from '../../src/http/support/config.js';
import { hashPassword, verifyPassword } from '../../src/http/support/password.js';
import { clientForToken, newApiToken, tokenSha256 } from '../../src/http/support/principals.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'support-config-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};

describe('support console settings', () => {
  it('are off until users or tokens are configured; then bind 127.0.0.1:8081 with 30 minutes idle and 10 logins a minute', async () => {
    expect(loadSupportConfig({})).toBeUndefined();
    const hash = await hashPassword('a long enough password');
    const c = loadSupportConfig({ SUPPORT_USERS_FILE: file('users', `# who\nanna operator ${hash}\n\nvera viewer ${hash} # read only\n`) })!;
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8081, sessionIdleMs: 30 * 60_000, loginAttemptsPerMinute: 10, tls: undefined, clients: [] });
    expect(c.users.map((u) => `${u.name} ${u.role}`)).toEqual(['anna operator', 'vera viewer']);
  });

  it('name the variable, the file and line, and what was expected', async () => {
    const hash = await hashPassword('a long enough password');
    const users = (text: string) => () => loadSupportConfig({ SUPPORT_USERS_FILE: file('u', text) });
    expect(users(`anna admin ${hash}`)).toThrow(/SUPPORT_USERS_FILE=".*u line 1" is not valid: expected a role viewer or operator, not "admin"/);
    expect(users('anna operator hunter2-plain')).toThrow(/SUPPORT_USERS_FILE.*line 1.*scrypt password hash.*never the password itself/);
    expect(users(`anna operator ${hash}\nanna viewer ${hash}`)).toThrow(/line 2.*"anna" twice/);
    const tokens = (text: string) => () => loadSupportConfig({ SUPPORT_TOKENS_FILE: file('t', text) });
    expect(tokens(`portal activation:redeem,failed:delete sha256:${'a'.repeat(64)}`)).toThrow(/SUPPORT_TOKENS_FILE.*line 1.*"failed:delete" is not one/);
    expect(tokens('portal activation:redeem cwt_the-token-itself')).toThrow(/SUPPORT_TOKENS_FILE.*never the token itself/);
    expect(() => loadSupportConfig({ SUPPORT_USERS_FILE: path.join(dir, 'missing') })).toThrow(/SUPPORT_USERS_FILE=.*a readable file \(ENOENT\)/);
    expect(() => loadSupportConfig({ SUPPORT_TOKENS_FILE: file('t2', ''), SUPPORT_PORT: '99999' })).toThrow(/SUPPORT_PORT="99999"/);
    expect(() => loadSupportConfig({ SUPPORT_TOKENS_FILE: file('t3', ''), SUPPORT_SESSION_IDLE: 'soon' })).toThrow(/SUPPORT_SESSION_IDLE="soon"/);
    expect(() => loadSupportConfig({ SUPPORT_TOKENS_FILE: file('t4', ''), SUPPORT_TLS_CERT: file('c', 'x') })).toThrow(/SUPPORT_TLS_KEY.*both or neither/);
  });

  it('passwords are kept as scrypt hashes and checked against them; tokens by their SHA-256', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$N=16384,r=8,p=1\$/);
    expect(hash).not.toContain('correct horse');
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterz', hash)).toBe(false);
    await expect(hashPassword('short')).rejects.toThrow(/at least 10/);
    const token = newApiToken();
    const clients = [{ name: 'portal', scopes: ['activation:redeem' as const], tokenSha256: tokenSha256(token) }];
    expect(clientForToken(clients, token)?.name).toBe('portal');
    expect(clientForToken(clients, `${token}x`)).toBeUndefined();
  });
});
