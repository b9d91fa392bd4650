/**
 * The contract's rules for every email (section 6), for every kind, brand and first language.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmailRenderer, EMAIL_KINDS } from '../../src/mail/renderer.js';
import { exampleModels } from '../../src/mail/examples.js';
import { languageViews } from '../../src/mail/view-model.js';
import type { Brand, EmailKind, EmailModel, Language, RenderedEmail } from '../../src/mail/email-model.js';

const TEMPLATES = fileURLToPath(new URL('../../templates/', import.meta.url));

let renderer: EmailRenderer;
beforeAll(async () => {
  renderer = await EmailRenderer.load();
});

// The contract's brand table, written out here rather than read from brands.ts.
const TABLE = {
  spiris: { from: 'Spiris', domain: 'spiris.se', portal: { sv: 'Mitt Spiris', en: 'My Spiris' }, scanner: 'Spiris Scanner', payroll: ['Employee', 'Payslip'], practice: { sv: 'Byråstöd', en: 'Practice management' } },
  visma: { from: 'Visma', domain: 'vismaspcs.se', portal: { sv: 'Mina tjänster', en: 'Mina tjänster' }, scanner: 'Visma Scanner', payroll: ['Visma Lön Anställd', 'Visma Min Lön'], practice: { sv: 'Visma Advisor', en: 'Visma Advisor' } },
};
// What only the other brand's emails may say ("Visma" alone is in product names of both).
const FOREIGN: Record<Brand, string[]> = {
  spiris: ['vismaspcs.se', 'Mina tjänster', 'Visma Scanner', 'Visma Advisor', 'Visma Lön Anställd', 'Visma Min Lön'],
  visma: ['Spiris', 'spiris.se', 'Byråstöd', 'Practice management', 'Employee', 'Payslip'],
};
// Words that only one language's subject of each kind has.
const SUBJECT_WORDS: Record<EmailKind, Record<Language, string>> = {
  invitation: { sv: 'bjuder in', en: 'invites' },
  'admin-welcome': { sv: 'Ditt administratörskonto', en: 'Your administrator account' },
  reminder: { sv: 'Påminnelse', en: 'Reminder' },
  'collaboration-approved': { sv: 'har godkänt', en: 'has approved' },
  'invitation-expired': { sv: 'har gått ut', en: 'has expired' },
  'collaboration-ended': { sv: 'har avslutats', en: 'has ended' },
};
const GREETING = { sv: 'Hej ', en: 'Hello ' };
const CUSTOMER_KINDS: EmailKind[] = ['invitation', 'admin-welcome', 'reminder'];

const other = (lang: Language): Language => (lang === 'sv' ? 'en' : 'sv');
const all = (e: RenderedEmail) => `${e.subject}\n${e.html}\n${e.text}`;
/** Elements that mark a language's part: not <html>, not MJML's own wrapper of the whole body. */
function langParts(html: string) {
  return [...html.matchAll(/<(\w+)\s[^>]*\blang="(sv|en)"[^>]*>/g)]
    .filter((m) => m[1] !== 'html' && !m[0].includes('role="article"'))
    .map((m) => ({ lang: m[2] as Language, at: m.index }));
}
const unentity = (html: string) => html.replaceAll('&#x3D;', '=').replaceAll('&amp;', '&');

const cases = exampleModels().map((m) => [`${m.kind} / ${m.brand} / ${m.language} first`, m] as const);

describe.each(cases)('%s', (_, model) => {
  const first = model.language;
  const second = other(first);

  it('subject: first language first, the second after " / "', () => {
    const email = renderer.render(model);
    const halves = email.subject.split(' / ');
    expect(halves).toHaveLength(2);
    expect(halves[0]).toContain(SUBJECT_WORDS[model.kind][first]);
    expect(halves[1]).toContain(SUBJECT_WORDS[model.kind][second]);
    expect(renderer.render({ ...model, language: second }).subject).toBe(`${halves[1]} / ${halves[0]}`);
    expect(email.contentLanguage).toBe(`${first}, ${second}`);
  });

  it('HTML: <html lang> of the first language, then a lang="…" part per language, in order', () => {
    const { html } = renderer.render(model);
    expect(html).toMatch(new RegExp(`<html lang="${first}"`));
    const parts = langParts(html);
    expect(parts.map((p) => p.lang)).toEqual([first, second]);
    const [a, b] = [parts[0]!.at, parts[1]!.at];
    const greetFirst = html.indexOf(GREETING[first]);
    const greetSecond = html.indexOf(GREETING[second]);
    expect(greetFirst).toBeGreaterThan(a);
    expect(greetFirst).toBeLessThan(b);
    expect(greetSecond).toBeGreaterThan(b);
  });

  it('text: both languages, the first one first', () => {
    const { text } = renderer.render(model);
    const rule = text.indexOf('\n-----');
    expect(text.indexOf(GREETING[first])).toBeGreaterThan(-1);
    expect(text.indexOf(GREETING[first])).toBeLessThan(rule);
    expect(text.indexOf(GREETING[second])).toBeGreaterThan(rule);
    expect(text).not.toMatch(/<\/?[a-z][^>]*>/); // no markup in plain text
  });

  it('names its own brand, portal, domain and services, and nothing of the other brand', () => {
    const email = renderer.render(model);
    const t = TABLE[model.brand];
    expect(email.html).toContain(`>${t.from}<`);
    expect(email.html).toContain(t.domain);
    if (CUSTOMER_KINDS.includes(model.kind)) {
      expect(email.text).toContain(`${t.portal.sv} på ${t.domain}`);
      expect(email.text).toContain(`${t.portal.en} on ${t.domain}`);
    }
    if (model.kind === 'invitation-expired') for (const lang of ['sv', 'en'] as const) expect(email.text).toContain(t.practice[lang]);
    if (model.service.code === 'scanner') expect(email.text).toContain(t.scanner);
    if (model.service.code === 'payroll') expect(email.text).toContain(t.payroll[1]);
    for (const name of FOREIGN[model.brand]) expect(all(email), name).not.toContain(name);
    expect(all(email)).not.toContain('undefined');
  });

  it('escapes every value in the HTML', () => {
    const hostile: EmailModel = {
      ...model,
      customerName: '<b>X</b>',
      customerOrgNumber: '<i>org</i>',
      agencyName: '<i>agency</i> & "co"',
      invitedByName: '<i>inviter</i>',
      to: { ...model.to, name: '<script>alert(1)</script>' },
      approvedByName: model.approvedByName && '<i>approver</i>',
      endReason: model.endReason && '<img src=x onerror=alert(1)>',
      activationUrl: model.activationUrl && `${model.activationUrl}"><i>x</i>`,
    };
    const email = renderer.render(hostile);
    expect(email.html).toContain('&lt;b&gt;X&lt;/b&gt;');
    expect(email.html).not.toContain('<b>X</b>');
    expect(email.html).not.toMatch(/<i>|<script|<img|"co"|x"><i>/);
    expect(email.text).toContain('<b>X</b>'); // plain text shows the name as it is
  });

  it('keeps line breaks from data out of the subject', () => {
    const email = renderer.render({ ...model, customerName: 'Kaffe AB\r\nBcc: evil@example.com', agencyName: 'Byrån\nAB' });
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.subject).toContain('Kaffe AB Bcc: evil@example.com');
  });

  it('renders the same with the precompiled templates as with MJML compiled for the email', async () => {
    expect(renderer.render(model)).toEqual(await renderer.renderCompilingMjml(model));
  });
});

describe.each([
  ['spiris', 'sv'],
  ['spiris', 'en'],
  ['visma', 'sv'],
  ['visma', 'en'],
] as const)('admin-welcome (%s, %s first)', (brand, language) => {
  const model = exampleModels().find((m) => m.kind === 'admin-welcome' && m.brand === brand && m.language === language)!;
  const url = `https://${TABLE[brand].domain}/activate?token=abc_DEF-123&x=1`;

  it('carries the activation link as a button and written out, in HTML and text', () => {
    const email = renderer.render({ ...model, activationUrl: url });
    const html = unentity(email.html);
    expect(html.split(`href="${url}"`)).toHaveLength(5); // button and written-out link, in each language
    expect(html).toContain(`>${url}</a>`);
    expect(email.text.split(url)).toHaveLength(3);
  });

  it('says when the link expires, as a date in Stockholm', () => {
    const email = renderer.render({ ...model, activationExpiresAt: '2026-12-06T23:30:00Z' });
    expect(email.text).toContain('slutar gälla 2026-12-07');
    expect(email.text).toContain('expires on 2026-12-07');
  });
});

describe('kind-specific content', () => {
  const find = (kind: EmailKind, brand: Brand = 'spiris', language: Language = 'sv') =>
    exampleModels().find((m) => m.kind === kind && m.brand === brand && m.language === language)!;

  it('the full subject of a Swedish-first invitation', () => {
    const model = find('invitation');
    expect(renderer.render({ ...model, service: { code: 'scanner', agencyProduct: 'administration' } }).subject).toBe(
      `${model.agencyName} bjuder in ${model.customerName} till ett samarbete i Spiris Scanner / ` +
        `${model.agencyName} invites ${model.customerName} to a collaboration in Spiris Scanner`,
    );
  });

  it('dates are days in Stockholm, summer time too', () => {
    const model = find('invitation');
    expect(renderer.render({ ...model, invitationExpiresAt: '2026-06-30T22:30:00Z' }).text).toContain('Inbjudan går ut 2026-07-01.');
    expect(renderer.render({ ...model, invitationExpiresAt: '2026-06-30T21:59:00Z' }).text).toContain('Inbjudan går ut 2026-06-30.');
    expect(renderer.render({ ...model, invitationExpiresAt: undefined }).text).not.toContain('går ut');
  });

  it('a reminder says which one it is, who invited, and links to activation only when there is a link', () => {
    const model = find('reminder');
    const withLink = renderer.render({ ...model, reminderNumber: 2, activationUrl: 'https://spiris.se/activate?token=t' });
    expect(withLink.subject).toMatch(/^Påminnelse 2: .* \/ Reminder 2: /);
    expect(withLink.text).toContain(`${model.agencyName} (${model.invitedByName})`);
    expect(withLink.text).toContain('Aktivera ditt konto: https://spiris.se/activate?token=t');
    const withoutLink = renderer.render({ ...model, activationUrl: undefined });
    expect(withoutLink.text).not.toContain('/activate');
    expect(withoutLink.text).toContain('Logga in i Mitt Spiris: https://spiris.se/');
  });

  it('collaboration-approved names the customer, its org number and who approved', () => {
    const email = renderer.render({ ...find('collaboration-approved'), approvedByName: 'Åsa Öberg' });
    expect(email.text).toMatch(/\(559123-4567\) har godkänt/);
    expect(email.text).toContain('godkändes av Åsa Öberg');
    expect(email.text).toContain('approved by Åsa Öberg');
  });

  it('collaboration-ended says who ended it and why, and leaves out a reason not given', () => {
    const model = find('collaboration-ended');
    const byAgency = renderer.render({ ...model, endedBy: 'agency', endReason: 'Flytt' });
    expect(byAgency.text).toContain('har avslutats av byrån.');
    expect(byAgency.text).toContain('has been ended by the agency.');
    expect(byAgency.text).toContain('Anledning: Flytt');
    const byCustomer = renderer.render({ ...model, endedBy: 'customer', endReason: undefined });
    expect(byCustomer.text).toContain('har avslutats av er.'); // the customer reads it: "by you"
    expect(byCustomer.text).toContain('has been ended by you.');
    expect(byCustomer.text).not.toContain('Anledning');
    expect(byCustomer.text).not.toContain('Reason');
  });

  it('read as its recipient: the text part speaks of a link, never of a button', () => {
    for (const model of exampleModels()) {
      const { text } = renderer.render({ ...model, activationUrl: model.activationUrl ?? 'https://spiris.se/activate?token=t' });
      expect(text, `${model.kind}.${model.brand}.${model.language}`).not.toMatch(/button|knapp/i);
    }
  });

  it('read as its recipient: the agency\'s collaboration-ended email says "you", not the agency\'s own name, for what it can do', () => {
    const model = { ...find('collaboration-ended'), audience: 'agency' as const, to: { name: 'Anna Andersson', email: 'anna@byran.example' } };
    const byAgency = renderer.render({ ...model, endedBy: 'agency' });
    expect(byAgency.text).toContain('har avslutats av er.');
    expect(byAgency.text).toContain('has been ended by you.');
    for (const email of [byAgency, renderer.render({ ...model, endedBy: 'customer' })]) {
      expect(email.text).not.toContain(`kan ${model.agencyName} aktivera`);
      expect(email.text).not.toContain(`${model.agencyName} can activate`);
      expect(email.text).toContain(`Vill ni samarbeta med ${model.customerName} igen kan ni aktivera ett nytt samarbete i Byråstöd.`);
      expect(email.text).toContain(`To work with ${model.customerName} again, activate a new collaboration in Practice management.`);
    }
    expect(renderer.render({ ...model, endedBy: 'customer' }).text).toContain('har avslutats av kunden.');
    // the customer's copy still says who can start again
    expect(renderer.render({ ...find('collaboration-ended'), endedBy: 'agency' }).text).toContain(`kan ${model.agencyName} aktivera ett nytt samarbete`);
  });

  it('only the customer\'s kinds have a button; the agency\'s have no link at all', () => {
    for (const model of exampleModels()) {
      const email = renderer.render(model);
      expect(email.html.includes('<a '), model.kind).toBe(CUSTOMER_KINDS.includes(model.kind));
      expect(email.text.includes('https://'), model.kind).toBe(CUSTOMER_KINDS.includes(model.kind));
    }
  });

  it('service names and details', () => {
    const model = find('invitation');
    const text = (service: EmailModel['service'], brand: Brand = 'spiris') => renderer.render({ ...model, brand, service }).text;
    expect(text({ code: 'payroll', payrollProduct: 'lon-300', scope: 'payslip-only' })).toContain('Digitala tillval till Visma Lön 300/600: Payslip för Visma Lön 300');
    expect(text({ code: 'payroll', payrollProduct: 'lon-300', scope: 'payslip-only' })).not.toContain('Employee');
    expect(text({ code: 'payroll', payrollProduct: 'lon-600', scope: 'employee' }, 'visma')).toContain('Visma Lön Anställd and Visma Min Lön for Visma Lön 600');
    expect(text({ code: 'scanner', agencyProduct: 'administration' }, 'visma')).toContain('i Visma Scanner');
    const invoices = text({ code: 'digital-invoices', customerProduct: 'bookkeeping-invoicing', paymentRecipient: 'agency', sendAllInvoices: true, receiveInvoices: true });
    expect(invoices).toContain('Digitala fakturor & dokument: Bokföring & Fakturering');
    expect(invoices).toContain('Digital invoices & documents: Bookkeeping & Invoicing');
  });

  it('a value cannot reverse the text around it: bidi controls from data reach neither subject, HTML nor text', () => {
    const email = renderer.render({ ...find('invitation'), customerName: 'Kaffe\u202E BA nekoppok', agencyName: 'Byrån\u2067 Norr\u200F' });
    for (const part of [email.subject, email.html, email.text]) expect(part).not.toMatch(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
    expect(email.subject).toContain('Kaffe BA nekoppok');
    expect(email.text).toContain('Byrån Norr (Anna Andersson) har bjudit in Kaffe BA nekoppok');
  });

  it('a name in a right-to-left script is isolated, so it does not reorder the sentence around it', () => {
    const email = renderer.render({ ...find('invitation'), customerName: 'مقهى الفنجان' });
    for (const part of [email.subject, email.html, email.text]) expect(part).toContain('\u2068مقهى الفنجان\u2069');
  });

  it('line and paragraph separators from data stay out of the text part\'s lines and the subject', () => {
    const model = find('collaboration-ended');
    const email = renderer.render({ ...model, customerName: 'Kaffe\u2028AB', endReason: 'Flytt\u2029till\u0085annan\r\nbyrå' });
    for (const part of [email.subject, email.text]) expect(part).not.toMatch(/[\u0085\u2028\u2029]/);
    expect(email.text).toContain('Anledning: Flytt till annan byrå');
    expect(email.text).toContain('Kaffe AB');
    expect(email.html).not.toMatch(/[\u0085\u2028\u2029]/);
  });

  it('no control character from data reaches the subject', () => {
    const email = renderer.render({ ...find('invitation'), customerName: 'A\tB\u0085C\u2028D\u0000E' });
    expect(email.subject).toContain('A B C D E');
  });
});

describe('templates and examples', () => {
  it('examples cover every kind, brand and first language, with å, ä and ö in a name', () => {
    const models = exampleModels();
    expect(new Set(models.map((m) => `${m.kind}.${m.brand}.${m.language}`)).size).toBe(EMAIL_KINDS.length * 4);
    expect(models.some((m) => /å/.test(m.customerName) && /ä|Ä/.test(m.customerName) && /ö/.test(m.customerName))).toBe(true);
  });

  it('every placeholder in the copy is a value of the view', () => {
    const known = new Set(Object.keys(languageViews(exampleModels()[0]!).sv));
    for (const kind of EMAIL_KINDS) {
      const copy = fs.readFileSync(path.join(TEMPLATES, 'copy', `${kind}.json`), 'utf8');
      const names = [...copy.matchAll(/\{\{#?(?:if\s+)?(\w+)\}\}|"if":\s*"(\w+)"/g)].map((m) => m[1] ?? m[2]!);
      expect(names.length, kind).toBeGreaterThan(0);
      for (const name of names) expect(known, `${kind}: ${name}`).toContain(name);
    }
  });

  const brokenCopy = (edit: (dir: string) => void) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'templates-'));
    fs.cpSync(TEMPLATES, dir, { recursive: true });
    edit(dir);
    return dir;
  };

  it('load fails, naming the template, when the MJML is not valid', async () => {
    const dir = brokenCopy((d) => fs.appendFileSync(path.join(d, 'action.mjml'), '<mj-bogus>x</mj-bogus>\n'));
    await expect(EmailRenderer.load(dir)).rejects.toThrow(/email template (invitation|admin-welcome|reminder)\.(sv|en) .*not valid MJML.*mj-bogus/s);
  });

  it('load refuses copy with an unescaped placeholder or markup', async () => {
    const file = (d: string) => path.join(d, 'copy', 'invitation.json');
    const triple = brokenCopy((d) => fs.writeFileSync(file(d), fs.readFileSync(file(d), 'utf8').replace('{{customerName}}', '{{{customerName}}}')));
    await expect(EmailRenderer.load(triple)).rejects.toThrow(/unescaped placeholder/);
    const markup = brokenCopy((d) => fs.writeFileSync(file(d), fs.readFileSync(file(d), 'utf8').replace('Hej ', '<b>Hej</b> ')));
    await expect(EmailRenderer.load(markup)).rejects.toThrow(/markup/);
    const entity = brokenCopy((d) => fs.writeFileSync(file(d), fs.readFileSync(file(d), 'utf8').replace('Hej ', 'Hej&nbsp;')));
    await expect(EmailRenderer.load(entity)).rejects.toThrow(/entity/);
  });

  it('load refuses a conditional paragraph with an empty or missing text', async () => {
    const file = (d: string) => path.join(d, 'copy', 'reminder.json');
    const emptyElse = brokenCopy((d) => fs.writeFileSync(file(d), fs.readFileSync(file(d), 'utf8').replace(/"else": "[^"]*"/, '"else": ""')));
    await expect(EmailRenderer.load(emptyElse)).rejects.toThrow(/reminder\.json: a paragraph is a text, or \{"if"/);
  });

  it('load fails, naming the template, on a placeholder that is not a value of the view', async () => {
    const file = (d: string) => path.join(d, 'copy', 'invitation.json');
    const typo = brokenCopy((d) => fs.writeFileSync(file(d), fs.readFileSync(file(d), 'utf8').replace('{{customerName}}', '{{customerNmae}}')));
    await expect(EmailRenderer.load(typo)).rejects.toThrow(/email template invitation\.(sv|en) \(html\): unknown placeholder \{\{(sv|en)\.customerNmae\}\}/);
  });
});
