/**
 * Activation tokens of new customer administrators.
 *
 * The token itself is never stored: it is an HMAC of the admin id and a random nonce under a
 * secret kept outside the database. The database holds the nonce (useless without the secret)
 * and the token's SHA-256, which is what a redeeming portal looks up. So whoever reads the
 * database (or a backup) cannot activate anyone's account, yet the worker can put the same
 * link in a reminder later.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { SettingError, type Config } from '../config.js';

export function newNonce(): string {
  return crypto.randomBytes(16).toString('base64url');
}

export function deriveToken(secret: string, adminId: string, nonce: string): string {
  return crypto.createHmac('sha256', secret).update(`${adminId}:${nonce}`).digest('base64url');
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

/**
 * The secret of this worker's activation links. On PostgreSQL (DATABASE_URL) every instance must
 * derive the same links and the database must not hold what unlocks them, so ACTIVATION_SECRET is
 * required there (a SettingError naming it otherwise); on SQLite it may come from the secret file.
 */
export function activationSecretOf(config: Pick<Config, 'activationSecret' | 'databaseUrl' | 'databasePath'>): string {
  if (config.activationSecret) return config.activationSecret;
  if (config.databaseUrl) {
    throw new SettingError(
      'ACTIVATION_SECRET',
      'ACTIVATION_SECRET is required: with DATABASE_URL every instance must derive the same activation links from the same secret, ' +
        'which is never stored in the database; set the same value on each (e.g. from `openssl rand -base64 32`)',
    );
  }
  return loadActivationSecret(undefined, config.databasePath);
}

/** `ACTIVATION_SECRET` when set; otherwise a secret made once and kept in a file beside the database. */
export function loadActivationSecret(configured: string | undefined, databasePath: string): string {
  if (configured) return configured;
  const file = `${databasePath}.secret`;
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = crypto.randomBytes(32).toString('base64url');
  try {
    fs.writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (err) {
    // Another worker process made it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8').trim();
    throw err;
  }
}
