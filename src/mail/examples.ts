/** Example emails of every kind, brand and first language: for previews and the benchmark. */
import type { Brand, EmailKind, EmailModel, Language, ServiceDetails } from './email-model.js';
import { EMAIL_KINDS } from './renderer.js';

const SERVICES: Record<Brand, ServiceDetails> = {
  spiris: { code: 'digital-invoices', customerProduct: 'bookkeeping-invoicing', paymentRecipient: 'agency', sendAllInvoices: true, receiveInvoices: true },
  visma: { code: 'payroll', payrollProduct: 'lon-600', scope: 'employee' },
};

function example(kind: EmailKind, brand: Brand, language: Language): EmailModel {
  const toAgency = kind === 'collaboration-approved' || kind === 'invitation-expired';
  const base: EmailModel = {
    kind,
    brand,
    language,
    to: toAgency ? { name: 'Anna Andersson', email: 'anna.andersson@byran-norr.example' } : { name: 'Karin Berg', email: 'karin.berg@kaffekoppen.example' },
    collaborationId: `col-example-${brand}`,
    agencyName: 'Redovisningsbyrån Norr AB',
    invitedByName: 'Anna Andersson',
    customerName: 'Kaffekoppen i Umeå AB',
    customerOrgNumber: '559000-1234',
    service: SERVICES[brand],
    invitationExpiresAt: '2026-12-06T09:15:00Z',
  };
  switch (kind) {
    case 'admin-welcome':
      return { ...base, activationUrl: `https://${brand === 'spiris' ? 'spiris.se' : 'vismaspcs.se'}/activate?token=EXAMPLE-TOKEN`, activationExpiresAt: '2026-12-06T09:15:00Z' };
    case 'reminder':
      return { ...base, reminderNumber: 1 };
    case 'collaboration-approved':
      return { ...base, approvedByName: 'Karin Berg' };
    case 'collaboration-ended':
      return { ...base, endedBy: 'agency', endReason: 'Kunden har bytt redovisningsbyrå' };
    default:
      return base;
  }
}

export function exampleModels(): EmailModel[] {
  return EMAIL_KINDS.flatMap((kind) => (['spiris', 'visma'] as const).flatMap((brand) => (['sv', 'en'] as const).map((lang) => example(kind, brand, lang))));
}
