/* eslint-disable */
/**
 * Generated from schemas/ by json-schema-to-typescript. Do not edit by hand:
 * change the schema and run `npm run gen:types`.
 */

export type PaymentRecipient = 'agency' | 'customer';

/**
 * The Synkronisera step in Visma Administration for Digital invoices & documents.
 */
export interface AdministrationEinvoiceConfigureData {
  collaborationId: string;
  customerId: string;
  customerOrgNumber: string;
  agencyId: string;
  sendAllInvoices: boolean;
  receiveInvoices: boolean;
  paymentRecipient: PaymentRecipient;
}

/**
 * Undo administration.einvoice.configure when the collaboration ends.
 */
export interface AdministrationEinvoiceDisableData {
  collaborationId: string;
  customerId: string;
  customerOrgNumber: string;
  agencyId: string;
}

/**
 * Connect the scanner to the agency's administration product.
 */
export interface AdministrationScannerConnectData {
  collaborationId: string;
  customerId: string;
  customerOrgNumber: string;
  agencyId: string;
}

/**
 * Disconnect the scanner from the agency's administration product.
 */
export interface AdministrationScannerDisconnectData {
  collaborationId: string;
  customerId: string;
  customerOrgNumber: string;
  agencyId: string;
}

/**
 * Stop receiving e-invoices when the collaboration ends.
 */
export interface BookkeepingInvoicingEinvoiceReceiptDisableData {
  collaborationId: string;
  customerId: string;
  customerOrgNumber: string;
  agencyId: string;
}

/**
 * The Ta emot e-faktura step in Bookkeeping & Invoicing.
 */
export interface BookkeepingInvoicingEinvoiceReceiptEnableData {
  collaborationId: string;
  customerId: string;
  customerOrgNumber: string;
  agencyId: string;
  paymentRecipient: PaymentRecipient;
}

/**
 * Connect the scanner to the agency's bookkeeping-invoicing product.
 */
export interface BookkeepingInvoicingScannerConnectData {
  collaborationId: string;
  customerId: string;
  customerOrgNumber: string;
  agencyId: string;
}

/**
 * Disconnect the scanner from the agency's bookkeeping-invoicing product.
 */
export interface BookkeepingInvoicingScannerDisconnectData {
  collaborationId: string;
  customerId: string;
  customerOrgNumber: string;
  agencyId: string;
}

export type PayrollProduct = 'lon-300' | 'lon-600';

/**
 * Disable the payroll digital add-ons when the collaboration ends.
 */
export interface PayrollDigitalAddonsDisableData {
  collaborationId: string;
  customerId: string;
  customerOrgNumber: string;
  agencyId: string;
  payrollProduct: PayrollProduct;
}

export type PayrollScope = 'employee' | 'payslip-only';

/**
 * Enable the payroll digital add-ons (Employee / Payslip).
 */
export interface PayrollDigitalAddonsEnableData {
  collaborationId: string;
  customerId: string;
  customerOrgNumber: string;
  agencyId: string;
  payrollProduct: PayrollProduct;
  scope: PayrollScope;
}

export type Brand = 'spiris' | 'visma';

export type Service = (PayrollService | ScannerService | DigitalInvoicesService) & {
  code: 'payroll' | 'scanner' | 'digital-invoices';
};

export type Product = 'bookkeeping-invoicing' | 'administration';

/**
 * Activate the service for a customer who has an account or is new.
 */
export interface SubscriptionServiceActivateData {
  collaborationId: string;
  customerId: string;
  customerOrgNumber: string;
  agencyId: string;
  brand: Brand;
  taskId: string;
  service: Service;
}

/**
 * Digitala tillval till Visma Lön 300/600. Payslip alone is scope payslip-only.
 */
export interface PayrollService {
  code: 'payroll';
  payrollProduct: PayrollProduct;
  scope: PayrollScope;
}

export interface ScannerService {
  code: 'scanner';
  agencyProduct: Product;
}

/**
 * Digitala fakturor & dokument.
 */
export interface DigitalInvoicesService {
  code: 'digital-invoices';
  customerProduct: Product;
  paymentRecipient: PaymentRecipient;
  sendAllInvoices: boolean;
  receiveInvoices: boolean;
}

export type CustomerRelation = 'has-service' | 'has-account' | 'new';

export type Language = 'sv' | 'en';

/**
 * collaboration.activated: the agency has activated a collaboration in its practice software.
 */
export interface CollaborationActivatedData {
  collaborationId: string;
  brand: Brand;
  taskId: string;
  agency: {
    id: string;
    name: string;
    orgNumber?: string;
  };
  activatedBy: Person;
  customer: {
    id: string;
    name: string;
    orgNumber: string;
    relation: CustomerRelation;
    language?: Language;
    contact: {
      firstName: string;
      lastName: string;
      /**
       * An email address; internationalised addresses (RFC 6531) are allowed.
       */
      email: string;
      phone?: string;
    };
  };
  service: Service;
}

export interface Person {
  name: string;
  /**
   * An email address; internationalised addresses (RFC 6531) are allowed.
   */
  email: string;
}

/**
 * Digitala tillval till Visma Lön 300/600. Payslip alone is scope payslip-only.
 */
export interface PayrollService {
  code: 'payroll';
  payrollProduct: PayrollProduct;
  scope: PayrollScope;
}

/**
 * Digitala fakturor & dokument.
 */
export interface DigitalInvoicesService {
  code: 'digital-invoices';
  customerProduct: Product;
  paymentRecipient: PaymentRecipient;
  sendAllInvoices: boolean;
  receiveInvoices: boolean;
}

/**
 * collaboration.approved: the customer approved the collaboration (and, for a new customer, the terms).
 */
export interface CollaborationApprovedData {
  collaborationId: string;
  approvedBy: Person;
}

/**
 * collaboration.ended: the collaboration for the service was ended.
 */
export interface CollaborationEndedData {
  collaborationId: string;
  endedBy: 'agency' | 'customer';
  reason?: string;
}

/**
 * Published by the worker when an invitation expired without approval.
 */
export interface InvitationExpiredData {
  collaborationId: string;
  expiredAt: string;
}

/**
 * Published by the worker when the invitation (or admin welcome) email is queued.
 */
export interface InvitationSentData {
  collaborationId: string;
  customerId: string;
  invitationKind: 'invitation' | 'admin-welcome';
  expiresAt: string;
}

/**
 * Published by the worker when it queued a reminder to the customer.
 */
export interface ReminderSentData {
  collaborationId: string;
  reminderNumber: number;
}

/**
 * Published by the worker once, when a new customer's administrator redeemed the activation link (contract section 8). Never carries the activation token.
 */
export interface CustomerAdminActivatedData {
  collaborationId: string;
  customerId: string;
  adminId: string;
}

/**
 * Published by the worker when it created a new customer's administrator. Never carries the activation token.
 */
export interface CustomerAdminCreatedData {
  collaborationId: string;
  customerId: string;
  adminId: string;
  /**
   * An email address; internationalised addresses (RFC 6531) are allowed.
   */
  email: string;
}
