/** SQL of activation-link redemption (contract section 8) on PostgreSQL: look a token's hash up, use it once. */
import type { PgSql } from './connection.js';
import type { AdminByToken } from '../customer-admin.js';

export async function findAdminByTokenHash(sql: PgSql, tokenHash: string): Promise<AdminByToken | undefined> {
  const { rows } = await sql.query<AdminByToken>(
    `SELECT a.id, a.collaboration_id AS "collaborationId", a.customer_id AS "customerId", a.email, a.first_name AS "firstName",
            a.last_name AS "lastName", a.token_expires_at AS "tokenExpiresAt", a.activated_at AS "activatedAt",
            c.state AS "collaborationState", c.expires_at AS "invitationExpiresAt"
     FROM customer_admins a JOIN collaborations c ON c.id = a.collaboration_id
     WHERE a.token_hash = $1`,
    [tokenHash],
  );
  return rows[0];
}

/** The row lock of the UPDATE makes a second, concurrent redemption wait and then find it done. */
export async function markActivated(sql: PgSql, adminId: string, now: number): Promise<boolean> {
  const { rowCount } = await sql.query('UPDATE customer_admins SET activated_at = $1 WHERE id = $2 AND activated_at IS NULL', [now, adminId]);
  return rowCount === 1;
}
