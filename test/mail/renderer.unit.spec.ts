/**
 * The contract's rules for every email (section 6), for every kind, brand and first language.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { EmailRenderer, EMAIL_KINDS } from '../../src/mail/renderer.js';
import { exampleModels } from '../../src/mail/examples.js';
import type { EmailModel } from '../../src/mail/email-model.js';

let renderer: EmailRenderer;
beforeAll(async () => {
  renderer = await EmailRenderer.load();
});

const OWN = {
  spiris: ['spiris.se', 'Mitt Spiris', 'My Spiris'],
  visma: ['vismaspcs.se', 'Mina tjänster'],
};
const FOREIGN = {
  spiris: ['vismaspcs.se', 'Mina tjänster', 'Visma Scanner', 'Visma Advisor', 'Visma Lön Anställd', 'Visma Min Lön'],
  visma: ['spiris.se', 'Mitt Spiris', 'My Spiris', 'Spiris Scanner', 'Byråstöd', 'Practice management'],
};
// A sentence that only the Swedish or only the English part of every kind contains.
const GREETING = { sv: 'Hej ', en: 'Hello ' };

const cases = exampleModels().map((m) => [`${m.kind} / ${m.brand} / ${m.language} first`, m] as const);

describe.each(cases)('%s', (_, model) => {
  const first = model.language;
  const second = first === 'sv' ? 'en' : 'sv';

  it('holds both languages, the recipient\'s first, in subject, HTML and text', () => {
    const email = renderer.render(model);
    const [subjectFirst, subjectSecond] = email.subject.split(' / ');
    expect(subjectFirst).not.toBe(subjectSecond);
    // the other language first gives the same two subjects, swapped
    expect(renderer.render({ ...model, language: second }).subject).toBe(`${subjectSecond} / ${subjectFirst}`);
    expect(email.contentLanguage).toBe(`${first}, ${second}`);
    expect(email.html).toContain(`<html lang="${first}"`);
    const firstPart = email.html.indexOf(`lang="${first}">`);
    const secondPart = email.html.indexOf(`lang="${second}">`);
    expect(firstPart).toBeGreaterThan(-1);
    expect(secondPart).toBeGreaterThan(firstPart);
    expect(email.text.indexOf(GREETING[first])).toBeGreaterThan(-1);
    expect(email.text.indexOf(GREETING[second])).toBeGreaterThan(email.text.indexOf(GREETING[first]));
    expect(email.html.indexOf(GREETING[second])).toBeGreaterThan(email.html.indexOf(GREETING[first]));
  });

  it('uses its own brand\'s names and domain, and none of the other brand\'s', () => {
    const email = renderer.render(model);
    // customer emails name the portal to log in to; every email names the brand's domain
    const toCustomer = !['collaboration-approved', 'invitation-expired'].includes(model.kind);
    if (toCustomer) for (const name of OWN[model.brand].slice(1)) expect(email.html + email.text).toContain(name);
    expect(email.html).toContain(OWN[model.brand][0]);
    for (const name of FOREIGN[model.brand]) {
      expect(email.html, name).not.toContain(name);
      expect(email.text, name).not.toContain(name);
      expect(email.subject, name).not.toContain(name);
    }
  });

  it('escapes every value in the HTML and keeps line breaks out of the subject', () => {
    const hostile: EmailModel = {
      ...model,
      customerName: '<b>X</b>',
      agencyName: 'Byrå "Ett" & Två\r\nBcc: evil@example.com',
      to: { ...model.to, name: '<script>alert(1)</script>' },
      endReason: model.endReason && '<img src=x onerror=alert(1)>',
    };
    const email = renderer.render(hostile);
    expect(email.html).not.toContain('<b>X</b>');
    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<img src=x');
    expect(email.html).toContain('&lt;b&gt;X&lt;/b&gt;');
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.text).toContain('<b>X</b>'); // plain text shows the name as it is
  });

  it('renders the same with the precompiled templates as with MJML compiled for the email', async () => {
    const fast = renderer.render(model);
    const slow = await renderer.renderCompilingMjml(model);
    expect(fast).toEqual(slow);
  });
});

describe('kind-specific content', () => {
  it('a Swedish-first invitation has the Swedish subject first', () => {
    const model = exampleModels().find((m) => m.kind === 'invitation' && m.language === 'sv')!;
    expect(renderer.render(model).subject).toBe(
      `${model.agencyName} bjuder in ${model.customerName} till ett samarbete i Digitala fakturor & dokument / ` +
        `${model.agencyName} invites ${model.customerName} to a collaboration in Digital invoices & documents`,
    );
  });

  it('an expiry tells the agency where to activate again, in its practice software', () => {
    const spiris = exampleModels().find((m) => m.kind === 'invitation-expired' && m.brand === 'spiris')!;
    const visma = exampleModels().find((m) => m.kind === 'invitation-expired' && m.brand === 'visma')!;
    expect(renderer.render(spiris).text).toContain('Byråstöd');
    expect(renderer.render(spiris).text).toContain('Practice management');
    expect(renderer.render(visma).text).toContain('Visma Advisor');
  });

  it('admin-welcome carries the activation link in HTML and text', () => {
    const model = exampleModels().find((m) => m.kind === 'admin-welcome' && m.brand === 'spiris')!;
    const email = renderer.render({ ...model, activationUrl: 'https://spiris.se/activate?token=abc_DEF-123' });
    expect(email.text).toContain('https://spiris.se/activate?token=abc_DEF-123');
    expect(email.html.replaceAll('&#x3D;', '=')).toContain('href="https://spiris.se/activate?token=abc_DEF-123"');
  });

  it('a reminder says which reminder it is and who invited', () => {
    const model = exampleModels().find((m) => m.kind === 'reminder' && m.language === 'sv')!;
    const email = renderer.render({ ...model, reminderNumber: 2 });
    expect(email.subject).toMatch(/^Påminnelse 2: .* \/ Reminder 2: /);
    expect(email.text).toContain(`${model.agencyName} (${model.invitedByName})`);
  });

  it('payroll names only Payslip for a payslip-only collaboration', () => {
    const model = exampleModels().find((m) => m.kind === 'invitation' && m.brand === 'spiris')!;
    const email = renderer.render({ ...model, service: { code: 'payroll', payrollProduct: 'lon-300', scope: 'payslip-only' } });
    expect(email.text).toContain('Payslip för Visma Lön 300');
    expect(email.text).not.toContain('Employee');
  });

  it('has a template for every kind', () => {
    expect(new Set(exampleModels().map((m) => m.kind))).toEqual(new Set(EMAIL_KINDS));
  });
});
