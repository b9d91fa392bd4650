/** Customer administrators and their single-use activation tokens, as the store keeps them. */

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

export interface CustomerAdmins {
  insert(admins: NewCustomerAdmin[], now: number): Promise<void>;
  findByCollaboration(collaborationId: string): Promise<CustomerAdmin | undefined>;
  /** Uses the token once: the admin's id only for an unused, unexpired token, and only the first time. */
  redeemToken(tokenHash: string, now: number): Promise<string | undefined>;
  /** An expired invitation takes its activation link with it. */
  expireToken(collaborationId: string, now: number): Promise<void>;
}
