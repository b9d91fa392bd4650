/**
 * collaboration.activated: store the collaboration as a pending invitation, create the
 * customer's administrator when the customer is new, and queue the invitation (or welcome)
 * email, the service activation command and the invitation-sent event.
 */
import type { ActivatedEvent } from '../messages/incoming.js';
import type { HandlerContext } from './context.js';
import { done, skip, type Outcome } from './outcome.js';
import { expiryFor, nextDueAt } from '../domain/invitation-schedule.js';
import { customerEmail } from '../domain/email-models.js';
import { serviceActivationCommand } from '../domain/sync-commands.js';
import { deterministicId } from '../messages/ids.js';
import { deriveToken, hashToken, newNonce } from '../admin/activation-token.js';

export function handleActivated(event: ActivatedEvent, ctx: HandlerContext): Outcome {
  const a = event.data;
  const { state } = ctx;
  const existing = state.collaboration(a.collaborationId);
  // The same collaboration activated again under another event id: one collaboration, one admin.
  if (existing) return skip(`collaboration ${a.collaborationId} is already known (state ${existing.state})`);

  const now = ctx.now.getTime();
  const isNew = a.customer.relation === 'new';
  const expiresAt = expiryFor(now, ctx.policy);
  state.saveCollaboration({
    id: a.collaborationId,
    state: 'pending',
    invitationKind: isNew ? 'admin-welcome' : 'invitation',
    activation: a,
    invitedAt: now,
    expiresAt,
    remindersSent: 0,
    nextDueAt: nextDueAt({ invitedAt: now, expiresAt, remindersSent: 0 }, ctx.policy),
    approvedAt: null,
    endedAt: null,
  });

  const { effects } = state;
  const invitationExpiresAt = new Date(expiresAt).toISOString();
  if (isNew) {
    const adminId = deterministicId('customer-admin', a.collaborationId);
    const nonce = newNonce();
    const tokenExpiresAt = now + ctx.activationTokenTtlMs;
    const { firstName, lastName, email, phone } = a.customer.contact;
    state.addCustomerAdmin({
      id: adminId, collaborationId: a.collaborationId, customerId: a.customer.id, email, firstName, lastName,
      phone: phone ?? null, tokenNonce: nonce, tokenHash: hashToken(deriveToken(ctx.activationSecret, adminId, nonce)), tokenExpiresAt,
    });
    effects.event('customer-admin.created', { collaborationId: a.collaborationId, customerId: a.customer.id, adminId, email });
    effects.email(
      customerEmail('admin-welcome', a, { invitationExpiresAt, activationExpiresAt: new Date(tokenExpiresAt).toISOString() }),
      { adminId, nonce },
    );
  } else {
    effects.email(customerEmail('invitation', a, { invitationExpiresAt }));
  }

  if (a.customer.relation !== 'has-service') {
    const command = serviceActivationCommand(a);
    effects.command(command.type, command.data);
  }
  effects.event('collaboration.invitation-sent', {
    collaborationId: a.collaborationId,
    customerId: a.customer.id,
    invitationKind: isNew ? 'admin-welcome' : 'invitation',
    expiresAt: invitationExpiresAt,
  });
  return done;
}
