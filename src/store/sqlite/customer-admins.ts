/** SQL of customer administrators and their single-use activation tokens. */
import type { Sql } from './database.js';
import { insertRows } from './bulk.js';
import { customerAdminFromRow, type CustomerAdmin, type NewCustomerAdmin } from '../customer-admin.js';

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
  return row ? customerAdminFromRow(row) : undefined;
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
