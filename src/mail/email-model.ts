/**
 * What the email templates need to know. The handlers build one of these from the
 * message and the stored collaboration; the renderer turns it into a bilingual email.
 * Values are raw (unescaped): escaping is the template engine's job.
 */
export type Brand = 'spiris' | 'visma';
export type Language = 'sv' | 'en';

export type EmailKind =
  | 'invitation'
  | 'admin-welcome'
  | 'reminder'
  | 'collaboration-approved'
  | 'invitation-expired'
  | 'collaboration-ended';

/** The service as the contract's `service` object describes it. */
export type ServiceDetails =
  | { code: 'payroll'; payrollProduct: 'lon-300' | 'lon-600'; scope: 'employee' | 'payslip-only' }
  | { code: 'scanner'; agencyProduct: 'bookkeeping-invoicing' | 'administration' }
  | {
      code: 'digital-invoices';
      customerProduct: 'administration' | 'bookkeeping-invoicing';
      paymentRecipient: 'agency' | 'customer';
      sendAllInvoices: boolean;
      receiveInvoices: boolean;
    };

export interface EmailModel {
  kind: EmailKind;
  brand: Brand;
  /** The recipient's language comes first in the email. Agency users get 'sv'. */
  language: Language;
  to: { name: string; email: string };
  /** Who reads it: the agency user, or (when absent) the customer's contact. The copy addresses them as "you". */
  audience?: 'agency';
  collaborationId: string;
  agencyName: string;
  /** The agency user who activated the collaboration. */
  invitedByName: string;
  customerName: string;
  customerOrgNumber: string;
  service: ServiceDetails;
  /** admin-welcome only: single-use link that activates the administrator account. */
  activationUrl?: string;
  /** admin-welcome only: when the activation link stops working (ISO-8601). */
  activationExpiresAt?: string;
  /** reminder only: 1 for the first reminder, 2 for the second, ... */
  reminderNumber?: number;
  /** invitation, admin-welcome and reminder: when the invitation expires (ISO-8601). */
  invitationExpiresAt?: string;
  /** collaboration-approved only. */
  approvedByName?: string;
  /** collaboration-ended only. */
  endedBy?: 'agency' | 'customer';
  /** collaboration-ended only, free text from the event. */
  endReason?: string;
}

export interface RenderedEmail {
  /** `<first-language subject> / <second-language subject>`, never containing CR or LF. */
  subject: string;
  html: string;
  text: string;
  /** `sv, en` or `en, sv`: the Content-Language header. */
  contentLanguage: string;
}
