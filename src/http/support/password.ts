/**
 * Password hashes of console users: scrypt (node:crypto, RFC 7914), in a PHC-style string
 * `scrypt$N=16384,r=8,p=1$<salt>$<hash>` (salt and hash base64url). Only the hash is ever kept;
 * `npm run cli -- console hash-password` makes one.
 */
import crypto from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(crypto.scrypt) as (password: string, salt: Buffer, keylen: number, options: crypto.ScryptOptions) => Promise<Buffer>;

/** OWASP's minimum for scrypt: N=2^17 would be stronger but needs 128 MiB per login. */
const DEFAULT = { N: 16384, r: 8, p: 1 };
const KEY_LENGTH = 32;
const FORMAT = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

export async function hashPassword(password: string): Promise<string> {
  if (password.length < 10) throw new Error('a password needs at least 10 characters');
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(password, salt, KEY_LENGTH, { ...DEFAULT, maxmem: 64 * 1024 * 1024 });
  return `scrypt$N=${DEFAULT.N},r=${DEFAULT.r},p=${DEFAULT.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** Whether `text` is a hash this module can check (the users file is checked at start-up). */
export function isPasswordHash(text: string): boolean {
  return FORMAT.test(text);
}

/** Constant-time comparison; false for a wrong password or a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = FORMAT.exec(stored);
  if (!match) return false;
  const [, N, r, p, salt, hash] = match;
  const expected = Buffer.from(hash!, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt!, 'base64url'), expected.length, { N: Number(N), r: Number(r), p: Number(p), maxmem: 256 * 1024 * 1024 });
  return crypto.timingSafeEqual(actual, expected);
}

/** A dummy hash to verify against for unknown users, so a login takes as long whether the user exists or not. */
export const DUMMY_HASH = `scrypt$N=${DEFAULT.N},r=${DEFAULT.r},p=${DEFAULT.p}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(KEY_LENGTH).toString('base64url')}`;
