/** SQL of customer administrators and their single-use activation tokens. */
import type { Sql } from './database.js';
import { insertRows } from './bulk.js';
import type { CustomerAdmin, NewCustomerAdmin } from '../customer-admin.js';

export async function insertCustomerAdmins(sql: Sql, admins: NewCustomerAdmin[], now: number): Promise<void> {
  await insertRows(
    sql,
    `INSERT INTO customer_admins (id, collaboration_id, customer_id, email, first_name, last_name, phone,
       token_nonce, token_hash, token_expires_at, created_at)`,
    11,
    admins.map((a) => [a.id, a.collaborationId, a.customerId, a.email, a.firstName, a.lastName, a.phone, a.tokenNonce, a.tokenHash, a.tokenExpiresAt, now]),
  );
}

export async function findAdminByCollaboration(sql: Sql, collaborationId: string): Promise<CustomerAdmin | undefined> {
  const row = await sql.get<Record<string, unknown>>('SELECT * FROM customer_admins WHERE collaboration_id = ?', [collaborationId]);
  if (!row) return undefined;
  return {
    id: row.id as string,
    collaborationId: row.collaboration_id as string,
    customerId: row.customer_id as string,
    email: row.email as string,
    firstName: row.first_name as string,
    lastName: row.last_name as string,
    phone: row.phone as string | null,
    tokenNonce: row.token_nonce as string,
    tokenHash: row.token_hash as string,
    tokenExpiresAt: row.token_expires_at as number,
    activatedAt: row.activated_at as number | null,
  };
}

/** Uses the token once: true only for an unused, unexpired token, and only the first time. */
export async function redeemToken(sql: Sql, tokenHash: string, now: number): Promise<string | undefined> {
  const row = await sql.get<{ id: string }>(
    `UPDATE customer_admins SET activated_at = ?
     WHERE token_hash = ? AND activated_at IS NULL AND token_expires_at > ?
     RETURNING id`,
    [now, tokenHash, now],
  );
  return row?.id;
}

/** An expired invitation takes its activation link with it. */
export async function expireToken(sql: Sql, collaborationId: string, now: number): Promise<void> {
  await sql.run('UPDATE customer_admins SET token_expires_at = MIN(token_expires_at, ?) WHERE collaboration_id = ?', [now, collaborationId]);
}
