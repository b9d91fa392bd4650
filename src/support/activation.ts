/**
 * Redeeming a new administrator's activation link, for the customer portal (contract section 8).
 * The link works once, until ACTIVATION_TOKEN_TTL has passed or the invitation expired. The
 * first redemption marks the administrator activated and queues `customer-admin.activated` in
 * the same transaction (it leaves through the outbox like every other event). The token is
 * looked up by its SHA-256 only: never stored, never logged.
 */
import type { Store } from '../store/store.js';
import { hashToken } from '../admin/activation-token.js';
import { Effects } from '../handlers/effects.js';
import { WORKER_SOURCE } from '../messages/cloudevent.js';

export interface ActivatedAdmin {
  id: string;
  customerId: string;
  collaborationId: string;
  email: string;
  firstName: string;
  lastName: string;
  /** ISO-8601. */
  activatedAt: string;
}

/** `unknown`: no such token; `used`: redeemed before; `expired`: past ACTIVATION_TOKEN_TTL or the invitation expired. */
export type RedeemRefusal = 'unknown' | 'used' | 'expired';

export type RedeemResult = { ok: true; admin: ActivatedAdmin } | { ok: false; refusal: RedeemRefusal; message: string };

export async function redeemActivation(store: Store, token: string, actor: string, now = Date.now()): Promise<RedeemResult> {
  const tokenHash = hashToken(token);
  return store.transaction(async (tx) => {
    const admin = await tx.customerAdmins.findByTokenHash(tokenHash);
    const refuse = async (refusal: RedeemRefusal, message: string): Promise<RedeemResult> => {
      await tx.auditLog.add({ actor, action: 'activation refused', target: admin ? `admin:${admin.id}` : null, detail: refusal }, now);
      return { ok: false, refusal, message };
    };
    if (!admin) return refuse('unknown', 'no administrator has this activation token');
    if (admin.activatedAt !== null) return refuse('used', `this activation link was used at ${new Date(admin.activatedAt).toISOString()}: it works once`);
    if (admin.collaborationState === 'expired' || admin.invitationExpiresAt <= now) return refuse('expired', 'the invitation expired, and its activation link with it');
    if (admin.tokenExpiresAt <= now) return refuse('expired', `this activation link expired at ${new Date(admin.tokenExpiresAt).toISOString()} (ACTIVATION_TOKEN_TTL)`);
    if (!(await tx.customerAdmins.markActivated(admin.id, now))) return refuse('used', 'this activation link was used just now: it works once');
    const effects = new Effects(new Date(now), { source: WORKER_SOURCE, id: `activation:${admin.id}` });
    effects.event('customer-admin.activated', { collaborationId: admin.collaborationId, customerId: admin.customerId, adminId: admin.id });
    await tx.outbox.add(effects.entries, now);
    await tx.auditLog.add({ actor, action: 'activation redeemed', target: `admin:${admin.id}`, detail: `collaboration ${admin.collaborationId}` }, now);
    const { id, customerId, collaborationId, email, firstName, lastName } = admin;
    return { ok: true, admin: { id, customerId, collaborationId, email, firstName, lastName, activatedAt: new Date(now).toISOString() } };
  });
}
