/** Example emails of every kind, brand and first language: for previews, tests and the benchmark. */
import { BRANDS } from './brands.js';
import type { Brand, EmailKind, EmailModel, Language, ServiceDetails } from './email-model.js';
import { EMAIL_KINDS } from './renderer.js';

// Every service variant appears, spread over kinds and brands.
const SERVICES: ServiceDetails[] = [
  { code: 'payroll', payrollProduct: 'lon-600', scope: 'employee' },
  { code: 'scanner', agencyProduct: 'bookkeeping-invoicing' },
  { code: 'digital-invoices', customerProduct: 'bookkeeping-invoicing', paymentRecipient: 'agency', sendAllInvoices: true, receiveInvoices: true },
  { code: 'payroll', payrollProduct: 'lon-300', scope: 'payslip-only' },
  { code: 'scanner', agencyProduct: 'administration' },
  { code: 'digital-invoices', customerProduct: 'administration', paymentRecipient: 'customer', sendAllInvoices: false, receiveInvoices: true },
];

const PARTIES = {
  spiris: {
    agencyName: 'Redovisningsbyrån Norr AB',
    agencyUser: { name: 'Anna Andersson', email: 'anna.andersson@byran-norr.example' },
    customerName: 'Ängsbacka Kök & Bröd i Umeå AB',
    customerOrgNumber: '559123-4567',
    contact: { name: 'Åsa Öberg', email: 'asa.oberg@angsbacka.example' },
  },
  visma: {
    agencyName: 'Ekonomihuset Väst AB',
    agencyUser: { name: 'Johan Lindqvist', email: 'johan.lindqvist@ekonomihuset.example' },
    customerName: 'Kaffekoppen i Göteborg AB',
    customerOrgNumber: '556677-8899',
    contact: { name: 'Karin Berg', email: 'karin.berg@kaffekoppen.example' },
  },
} as const;

function example(kind: EmailKind, brand: Brand, language: Language): EmailModel {
  const p = PARTIES[brand];
  // collaboration-ended goes to both parties: the examples show one of each.
  const toAgency = kind === 'collaboration-approved' || kind === 'invitation-expired' || (kind === 'collaboration-ended' && brand === 'visma');
  const activationUrl = `${BRANDS[brand].activationBaseUrl}?token=EXAMPLE-TOKEN-${brand.toUpperCase()}`;
  const base: EmailModel = {
    kind,
    brand,
    language,
    to: toAgency ? p.agencyUser : p.contact,
    ...(toAgency ? { audience: 'agency' as const } : {}),
    collaborationId: `col-example-${kind}-${brand}`,
    agencyName: p.agencyName,
    invitedByName: p.agencyUser.name,
    customerName: p.customerName,
    customerOrgNumber: p.customerOrgNumber,
    service: SERVICES[(EMAIL_KINDS.indexOf(kind) * 2 + (brand === 'spiris' ? 0 : 1)) % SERVICES.length]!,
    // 23:30 UTC is the next day in Stockholm: the emails show 2026-12-14 and 2026-12-07.
    invitationExpiresAt: '2026-12-13T23:30:00Z',
  };
  switch (kind) {
    case 'admin-welcome':
      return { ...base, activationUrl, activationExpiresAt: '2026-12-06T23:30:00Z' };
    case 'reminder':
      // A customer created as new still has its activation link; an existing one logs in.
      return brand === 'visma' ? { ...base, reminderNumber: 2, activationUrl, activationExpiresAt: '2026-12-06T23:30:00Z' } : { ...base, reminderNumber: 1 };
    case 'collaboration-approved':
      return { ...base, approvedByName: p.contact.name };
    case 'collaboration-ended':
      return brand === 'visma'
        ? { ...base, endedBy: 'agency', endReason: 'Uppdraget avslutas enligt överenskommelse.' }
        : { ...base, endedBy: 'customer', endReason: 'Vi har bytt till en annan redovisningsbyrå.' };
    default:
      return base;
  }
}

export function exampleModels(): EmailModel[] {
  return EMAIL_KINDS.flatMap((kind) => (['spiris', 'visma'] as const).flatMap((brand) => (['sv', 'en'] as const).map((lang) => example(kind, brand, lang))));
}
