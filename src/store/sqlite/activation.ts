/** SQL of activation-link redemption (contract section 8): look a token's hash up, use it once. */
import type { Sql } from './database.js';
import type { AdminByToken } from '../customer-admin.js';

export async function findAdminByTokenHash(sql: Sql, tokenHash: string): Promise<AdminByToken | undefined> {
  return sql.get<AdminByToken>(
    `SELECT a.id, a.collaboration_id AS collaborationId, a.customer_id AS customerId, a.email, a.first_name AS firstName,
            a.last_name AS lastName, a.token_expires_at AS tokenExpiresAt, a.activated_at AS activatedAt,
            c.state AS collaborationState, c.expires_at AS invitationExpiresAt
     FROM customer_admins a JOIN collaborations c ON c.id = a.collaboration_id
     WHERE a.token_hash = ?`,
    [tokenHash],
  );
}

/** Marks the admin activated unless it already was: true for exactly one caller. */
export async function markActivated(sql: Sql, adminId: string, now: number): Promise<boolean> {
  const { changes } = await sql.run('UPDATE customer_admins SET activated_at = ? WHERE id = ? AND activated_at IS NULL', [now, adminId]);
  return changes === 1;
}
