/** SQL of customer administrators and their single-use activation tokens, on PostgreSQL. */
import type { PgSql } from './connection.js';
import { customerAdminFromRow, type CustomerAdmin, type NewCustomerAdmin } from '../customer-admin.js';

export async function insertCustomerAdmins(sql: PgSql, admins: NewCustomerAdmin[], now: number): Promise<void> {
  if (admins.length === 0) return;
  const column = <T>(f: (a: NewCustomerAdmin) => T) => admins.map(f);
  await sql.query(
    `INSERT INTO customer_admins (id, collaboration_id, customer_id, email, first_name, last_name, phone,
       token_nonce, token_hash, token_expires_at, created_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
       $8::text[], $9::text[], $10::bigint[], $11::bigint[])`,
    [
      column((a) => a.id), column((a) => a.collaborationId), column((a) => a.customerId), column((a) => a.email),
      column((a) => a.firstName), column((a) => a.lastName), column((a) => a.phone), column((a) => a.tokenNonce),
      column((a) => a.tokenHash), column((a) => a.tokenExpiresAt), column(() => now),
    ],
  );
}

export async function findAdminByCollaboration(sql: PgSql, collaborationId: string): Promise<CustomerAdmin | undefined> {
  const { rows } = await sql.query('SELECT * FROM customer_admins WHERE collaboration_id = $1', [collaborationId]);
  const row = rows[0];
  return row ? customerAdminFromRow(row) : undefined;
}

/** The row lock of the UPDATE makes a second, concurrent redemption wait and then find it used. */
export async function redeemToken(sql: PgSql, tokenHash: string, now: number): Promise<string | undefined> {
  const { rows } = await sql.query<{ id: string }>(
    `UPDATE customer_admins SET activated_at = $1
     WHERE token_hash = $2 AND activated_at IS NULL AND token_expires_at > $1
     RETURNING id`,
    [now, tokenHash],
  );
  return rows[0]?.id;
}

export async function expireToken(sql: PgSql, collaborationId: string, now: number): Promise<void> {
  await sql.query('UPDATE customer_admins SET token_expires_at = LEAST(token_expires_at, $1) WHERE collaboration_id = $2', [now, collaborationId]);
}
