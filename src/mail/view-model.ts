/**
 * Everything a template says that depends on brand, service or language, worked out in code so
 * the templates stay plain text with placeholders. One view per language.
 */
import { BRANDS } from './brands.js';
import type { EmailModel, Language, ServiceDetails } from './email-model.js';

const PRODUCTS: Record<'administration' | 'bookkeeping-invoicing', Record<Language, string>> = {
  administration: { sv: 'Visma Administration', en: 'Visma Administration' },
  'bookkeeping-invoicing': { sv: 'Bokföring & Fakturering', en: 'Bookkeeping & Invoicing' },
};

const dateFormat = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm', year: 'numeric', month: '2-digit', day: '2-digit' });

const HOUR_MS = 3_600_000;
const datesByHour = new Map<number, string>();

/**
 * `2026-12-06`, the date in Stockholm: unambiguous in both languages. Intl is the slowest step
 * of a render, and Stockholm's date only changes on the hour, so each hour is formatted once.
 */
export function formatDate(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const hour = Math.floor(Date.parse(iso) / HOUR_MS);
  let date = datesByHour.get(hour);
  if (date === undefined) {
    if (datesByHour.size > 10_000) datesByHour.clear();
    date = dateFormat.format(new Date(hour * HOUR_MS));
    datesByHour.set(hour, date);
  }
  return date;
}

function serviceName(service: ServiceDetails, model: EmailModel, lang: Language): string {
  switch (service.code) {
    case 'payroll':
      return lang === 'sv' ? 'Digitala tillval till Visma Lön 300/600' : 'Digital add-ons for Visma Lön 300/600';
    case 'scanner':
      return BRANDS[model.brand].scanner;
    case 'digital-invoices':
      return lang === 'sv' ? 'Digitala fakturor & dokument' : 'Digital invoices & documents';
  }
}

function serviceDetail(service: ServiceDetails, model: EmailModel, lang: Language): string {
  const and = lang === 'sv' ? 'och' : 'and';
  switch (service.code) {
    case 'payroll': {
      const { employee, payslip } = BRANDS[model.brand].payroll;
      const services = service.scope === 'employee' ? `${employee} ${and} ${payslip}` : payslip;
      const product = service.payrollProduct === 'lon-300' ? 'Visma Lön 300' : 'Visma Lön 600';
      return lang === 'sv' ? `${services} för ${product}` : `${services} for ${product}`;
    }
    case 'scanner':
      return lang === 'sv' ? `kopplad till ${PRODUCTS[service.agencyProduct].sv}` : `connected to ${PRODUCTS[service.agencyProduct].en}`;
    case 'digital-invoices': {
      const product = PRODUCTS[service.customerProduct][lang];
      const recipient = lang === 'sv'
        ? service.paymentRecipient === 'agency' ? 'byrån' : 'kunden'
        : service.paymentRecipient === 'agency' ? 'the agency' : 'the customer';
      return lang === 'sv' ? `${product}, med ${recipient} som betalningsmottagare` : `${product}, with ${recipient} as payment recipient`;
    }
  }
}

/** Who ended it, as the recipient reads it: "you" when it was the recipient's side. */
function endedByText(endedBy: 'agency' | 'customer', audience: 'agency' | 'customer', lang: Language): string {
  if (endedBy === audience) return lang === 'sv' ? 'er' : 'you';
  if (endedBy === 'agency') return lang === 'sv' ? 'byrån' : 'the agency';
  return lang === 'sv' ? 'kunden' : 'the customer';
}

/** What a template can name in each language: `{{name}}` in the copy. A name not here fails the load. */
export const VIEW_NAMES = [
  'recipientName', 'customerName', 'customerOrgNumber', 'agencyName', 'invitedByName', 'serviceName', 'serviceDetail',
  'portalName', 'domain', 'practiceSoftware', 'actionUrl', 'actionLabel', 'linkHelp', 'hasActivation',
  'invitationExpiresOn', 'activationExpiresOn', 'reminderNumber', 'approvedByName', 'endedByText', 'endReason', 'toAgency',
] as const;

export type LanguageView = Record<(typeof VIEW_NAMES)[number], string | number | boolean | undefined>;

/**
 * Both languages' views. Names and dates, the same in both, are worked out once; each view is
 * one object literal of a fixed shape, which keeps the template fill's property reads fast.
 */
export function languageViews(model: EmailModel): Record<Language, LanguageView> {
  const invitationExpiresOn = formatDate(model.invitationExpiresAt);
  const activationExpiresOn = formatDate(model.activationExpiresAt);
  return { sv: view(model, 'sv', invitationExpiresOn, activationExpiresOn), en: view(model, 'en', invitationExpiresOn, activationExpiresOn) };
}

function view(model: EmailModel, lang: Language, invitationExpiresOn: string | undefined, activationExpiresOn: string | undefined): LanguageView {
  const brand = BRANDS[model.brand];
  const portalName = brand.portal[lang];
  const activation = model.activationUrl;
  const sv = lang === 'sv';
  return {
    recipientName: model.to.name,
    customerName: model.customerName,
    customerOrgNumber: model.customerOrgNumber,
    agencyName: model.agencyName,
    invitedByName: model.invitedByName,
    serviceName: serviceName(model.service, model, lang),
    serviceDetail: serviceDetail(model.service, model, lang),
    portalName,
    domain: brand.domain,
    practiceSoftware: brand.practiceSoftware[lang],
    actionUrl: activation ?? brand.portalUrl,
    actionLabel: activation
      ? sv ? 'Aktivera ditt konto' : 'Activate your account'
      : sv ? `Logga in i ${portalName}` : `Log in to ${portalName}`,
    linkHelp: sv ? 'Fungerar inte knappen? Öppna:' : 'Button not working? Open:',
    hasActivation: !!activation,
    invitationExpiresOn,
    activationExpiresOn,
    reminderNumber: model.reminderNumber,
    approvedByName: model.approvedByName,
    endedByText: model.endedBy && endedByText(model.endedBy, model.audience ?? 'customer', lang),
    endReason: model.endReason,
    toAgency: model.audience === 'agency',
  };
}
