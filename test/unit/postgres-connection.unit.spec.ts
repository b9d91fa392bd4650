/**
 * The PostgreSQL adapter's connection settings and its reading of errors: SSL as the URL or
 * PGSSLMODE says, passwords masked, and "unreachable" told apart from "this statement failed".
 */
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error -- @types/pg's typings of this file do not resolve through pg's "exports"
import ConnectionParameters from 'pg/lib/connection-parameters.js';
import { DatabaseUnreachable, connectionConfig, isConnectionError, redactUrl } from '../../src/store/postgres/connection.js';

const saved = process.env.PGSSLMODE;
afterEach(() => {
  if (saved === undefined) delete process.env.PGSSLMODE;
  else process.env.PGSSLMODE = saved;
});

describe('PostgreSQL connections', () => {
  it('take SSL from the URL, else from PGSSLMODE (node-postgres reads both; the worker sets neither)', () => {
    const ssl = (url: string) => new ConnectionParameters(connectionConfig({ url }) as never).ssl;
    delete process.env.PGSSLMODE;
    expect(ssl('postgres://u:p@db.example/collab')).toBe(false);
    process.env.PGSSLMODE = 'no-verify';
    expect(ssl('postgres://u:p@db.example/collab')).toEqual({ rejectUnauthorized: false });
    process.env.PGSSLMODE = 'disable';
    expect(ssl('postgres://u:p@db.example/collab?sslmode=no-verify')).toMatchObject({ rejectUnauthorized: false });
  });

  it('mask the password in what they print', () => {
    expect(redactUrl('postgres://collab:s3cr%40t@db.example:5432/collab?sslmode=require')).toBe('postgres://collab:***@db.example:5432/collab?sslmode=require');
    expect(redactUrl('postgres://db.example/collab')).toBe('postgres://db.example/collab');
  });

  it('tell a lost or refused connection from a failed statement', () => {
    const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });
    for (const err of [
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('08006'),
      pgError('53300', 'too many connections'),
      pgError('ECONNREFUSED'),
      new Error('Connection terminated unexpectedly'),
      new Error('Client has encountered a connection error and is not queryable'),
      new DatabaseUnreachable(pgError('55000', 'database "x" is not currently accepting connections')),
    ]) {
      expect(isConnectionError(err), (err as Error).message).toBe(true);
    }
    for (const err of [pgError('23505', 'duplicate key'), pgError('42P01', 'relation "x" does not exist'), pgError('40P01', 'deadlock detected'), new Error('handler bug'), 'text']) {
      expect(isConnectionError(err)).toBe(false);
    }
  });
});
