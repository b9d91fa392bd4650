/**
 * Bad store settings stop `npm start` with a message that names the setting, not a stack trace:
 * a URL that is not PostgreSQL, DATABASE_URL without ACTIVATION_SECRET, a refused connection.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

function start(env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts'],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HTTP_PORT: '0', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

describe('the worker refuses to start on bad store settings', () => {
  it('names DATABASE_URL, or ACTIVATION_SECRET, and hides the password', async () => {
    const [notPostgres, noSecret, refused] = await Promise.all([
      start({ DATABASE_URL: 'mysql://collab:s3cret@db.example/collab', ACTIVATION_SECRET: 'x' }),
      start({ DATABASE_URL: 'postgres://collab:s3cret@127.0.0.1:1/collab' }),
      start({ DATABASE_URL: 'postgres://collab:s3cret@127.0.0.1:1/collab', ACTIVATION_SECRET: 'x' }),
    ]);
    expect(notPostgres.code).toBe(1);
    expect(notPostgres.output).toBe('collab-worker: DATABASE_URL="mysql://collab:***@db.example/collab" is not valid: expected a PostgreSQL URL such as postgres://user:password@host:5432/database\n');
    expect(noSecret.code).toBe(1);
    expect(noSecret.output).toContain('collab-worker: ACTIVATION_SECRET is required: with DATABASE_URL every instance must derive the same activation links');
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/^collab-worker: DATABASE_URL=postgres:\/\/collab:\*\*\*@127\.0\.0\.1:1\/collab: could not connect: .*ECONNREFUSED/m);
    for (const { output } of [notPostgres, noSecret, refused]) expect(output).not.toContain('s3cret');
  });
});
