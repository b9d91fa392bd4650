/**
 * The contract's table of sync commands: what each service asks of the product integrations
 * when a collaboration is approved, and what undoes it when the collaboration ends.
 */
import type { ActivatedData } from '../messages/incoming.js';

export interface CommandSpec {
  type: string;
  data: { collaborationId: string } & Record<string, unknown>;
}

function baseFields(a: ActivatedData) {
  return { collaborationId: a.collaborationId, customerId: a.customer.id, customerOrgNumber: a.customer.orgNumber, agencyId: a.agency.id };
}

export function serviceActivationCommand(a: ActivatedData): CommandSpec {
  return { type: 'subscription.service.activate', data: { ...baseFields(a), brand: a.brand, taskId: a.taskId, service: a.service } };
}

export function commandsOnApproval(a: ActivatedData): CommandSpec[] {
  const base = baseFields(a);
  const s = a.service;
  switch (s.code) {
    case 'digital-invoices':
      return s.customerProduct === 'administration'
        ? [{ type: 'administration.einvoice.configure', data: { ...base, sendAllInvoices: s.sendAllInvoices, receiveInvoices: s.receiveInvoices, paymentRecipient: s.paymentRecipient } }]
        : [{ type: 'bookkeeping-invoicing.einvoice-receipt.enable', data: { ...base, paymentRecipient: s.paymentRecipient } }];
    case 'scanner':
      return [{ type: `${s.agencyProduct}.scanner.connect`, data: base }];
    case 'payroll':
      return [{ type: 'payroll.digital-addons.enable', data: { ...base, payrollProduct: s.payrollProduct, scope: s.scope } }];
  }
}

export function commandsOnEnd(a: ActivatedData): CommandSpec[] {
  const base = baseFields(a);
  const s = a.service;
  switch (s.code) {
    case 'digital-invoices':
      return s.customerProduct === 'administration'
        ? [{ type: 'administration.einvoice.disable', data: base }]
        : [{ type: 'bookkeeping-invoicing.einvoice-receipt.disable', data: base }];
    case 'scanner':
      return [{ type: `${s.agencyProduct}.scanner.disconnect`, data: base }];
    case 'payroll':
      return [{ type: 'payroll.digital-addons.disable', data: { ...base, payrollProduct: s.payrollProduct } }];
  }
}
