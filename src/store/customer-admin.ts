/** Customer administrators and their single-use activation tokens, as the store keeps them. */
import type { CollaborationState } from './collaboration.js';

export interface CustomerAdmin {
  id: string;
  collaborationId: string;
  customerId: string;
  email: string;
  firstName: string;
  lastName: string;
  phone: string | null;
  /** The token is never stored: the nonce it is derived from (useless without the secret)… */
  tokenNonce: string;
  /** …and its SHA-256 (hex), which a redemption looks up. */
  tokenHash: string;
  tokenExpiresAt: number;
  activatedAt: number | null;
}

export type NewCustomerAdmin = Omit<CustomerAdmin, 'activatedAt'>;

/** An admin found by its token's hash, with what the redemption must check of its invitation. */
export interface AdminByToken {
  id: string;
  collaborationId: string;
  customerId: string;
  email: string;
  firstName: string;
  lastName: string;
  tokenExpiresAt: number;
  activatedAt: number | null;
  collaborationState: CollaborationState;
  invitationExpiresAt: number;
}

export interface CustomerAdminReads {
  findByCollaboration(collaborationId: string): Promise<CustomerAdmin | undefined>;
  /** The activation link's admin (contract section 8), by the SHA-256 of its token. */
  findByTokenHash(tokenHash: string): Promise<AdminByToken | undefined>;
}

export interface CustomerAdmins extends CustomerAdminReads {
  insert(admins: NewCustomerAdmin[], now: number): Promise<void>;
  /** Marks the admin activated unless it already was: true for exactly one caller. */
  markActivated(adminId: string, now: number): Promise<boolean>;
  /** Uses the token once: the admin's id only for an unused, unexpired token, and only the first time. */
  redeemToken(tokenHash: string, now: number): Promise<string | undefined>;
  /** An expired invitation takes its activation link with it. */
  expireToken(collaborationId: string, now: number): Promise<void>;
}

/** A customer_admins row (snake_case columns) as the rest of the code sees it. */
export function customerAdminFromRow(row: Record<string, unknown>): CustomerAdmin {
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
