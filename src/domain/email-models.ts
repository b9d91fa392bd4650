/** Builds the email models of a collaboration: who gets what, in which language first. */
import type { ActivatedData } from '../messages/incoming.js';
import type { EmailKind, EmailModel } from '../mail/email-model.js';

type Extra = Partial<Pick<EmailModel, 'activationExpiresAt' | 'reminderNumber' | 'invitationExpiresAt' | 'approvedByName' | 'endedBy' | 'endReason'>>;

function common(kind: EmailKind, a: ActivatedData) {
  return {
    kind,
    brand: a.brand,
    collaborationId: a.collaborationId,
    agencyName: a.agency.name,
    invitedByName: a.activatedBy.name,
    customerName: a.customer.name,
    customerOrgNumber: a.customer.orgNumber,
    service: a.service,
  } as const;
}

/** To the customer's contact person, in the customer's language first. */
export function customerEmail(kind: EmailKind, a: ActivatedData, extra: Extra = {}): EmailModel {
  const { firstName, lastName, email } = a.customer.contact;
  return { ...common(kind, a), language: a.customer.language ?? 'sv', to: { name: `${firstName} ${lastName}`, email }, ...extra };
}

/** To the agency user who activated the collaboration; agency users read Swedish first. */
export function agencyEmail(kind: EmailKind, a: ActivatedData, extra: Extra = {}): EmailModel {
  return { ...common(kind, a), language: 'sv', to: { name: a.activatedBy.name, email: a.activatedBy.email }, audience: 'agency', ...extra };
}
