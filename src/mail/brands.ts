/** The contract's brand table: names, portal and domain each brand's emails use. */
import type { Brand, Language } from './email-model.js';

export interface BrandInfo {
  /** Shown at the top of every email and as the sender's name. */
  fromName: string;
  domain: string;
  portal: Record<Language, string>;
  portalUrl: string;
  activationBaseUrl: string;
  scanner: string;
  payroll: { employee: string; payslip: string };
  practiceSoftware: Record<Language, string>;
}

export const BRANDS: Record<Brand, BrandInfo> = {
  spiris: {
    fromName: 'Spiris',
    domain: 'spiris.se',
    portal: { sv: 'Mitt Spiris', en: 'My Spiris' },
    portalUrl: 'https://spiris.se/',
    activationBaseUrl: 'https://spiris.se/activate',
    scanner: 'Spiris Scanner',
    payroll: { employee: 'Employee', payslip: 'Payslip' },
    practiceSoftware: { sv: 'Byråstöd', en: 'Practice management' },
  },
  visma: {
    fromName: 'Visma',
    domain: 'vismaspcs.se',
    portal: { sv: 'Mina tjänster', en: 'Mina tjänster' },
    portalUrl: 'https://vismaspcs.se/',
    activationBaseUrl: 'https://vismaspcs.se/activate',
    scanner: 'Visma Scanner',
    payroll: { employee: 'Visma Lön Anställd', payslip: 'Visma Min Lön' },
    practiceSoftware: { sv: 'Visma Advisor', en: 'Visma Advisor' },
  },
};
