/**
 * Renders the bilingual emails. At load, every kind's MJML is compiled to HTML once per language
 * order (Swedish first, English first), in a child process so that mjml never takes memory in
 * the worker, and that HTML to chunks (chunk-template.ts); an email is then a template fill of
 * microseconds, never an MJML compile. Every value in the HTML is escaped.
 *
 * A template is the shared layout (templates/layout.mjml) with one part (templates/part.mjml)
 * per language, ending with the action button (templates/action.mjml) for kinds that have one,
 * filled with that kind's words (templates/copy/<kind>.json). In the copy, `{{name}}` is a value
 * of the language's view (see view-model.ts); it is bound to its language (`{{sv.name}}`) when
 * the template is built. Each part is a section with the class `part-sv` / `part-en`, which the
 * layout's mj-html-attributes turn into `lang="sv"` / `lang="en"` on the part's element.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BRANDS } from './brands.js';
import { languageViews, VIEW_NAMES } from './view-model.js';
import type { EmailKind, EmailModel, Language, RenderedEmail } from './email-model.js';
import { compileHere, compileInChildProcess } from './mjml-compiler.js';
import { compileChunks, fillChunks, Slots, type Chunk } from './chunk-template.js';
import { escapeHtml, plainText } from './html-escape.js';

export const EMAIL_KINDS: EmailKind[] = ['invitation', 'admin-welcome', 'reminder', 'collaboration-approved', 'invitation-expired', 'collaboration-ended'];
const LANGUAGES: Language[] = ['sv', 'en'];
const DEFAULT_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

/** A paragraph, or one shown only when a value of the view is set (with an optional other one). */
type Paragraph = string | { if: string; text: string; else?: string };
interface Copy {
  subject: string;
  heading: string;
  paragraphs: Paragraph[];
}
/** templates/copy/<kind>.json. `button`: each part ends with the action button and its link. */
interface KindCopy extends Record<Language, Copy> {
  button: boolean;
}

interface Sources {
  layout: string;
  part: string;
  action: string;
  copies: Map<EmailKind, KindCopy>;
}

/**
 * Per first language: the chunks of the HTML, the text and the subject of an email; `slots`, the
 * values all six name, so that each is escaped once per email however often it is shown.
 */
interface Compiled {
  slots: Slots;
  html: Record<Language, Chunk[]>;
  text: Record<Language, Chunk[]>;
  subject: Record<Language, Chunk[]>;
}

/** What a template may name: each language's view (`{{sv.name}}`), and the layout's brand values. */
const KNOWN = new Set(['brandName', 'domain', ...LANGUAGES.flatMap((lang) => VIEW_NAMES.map((name) => `${lang}.${name}`))]);

export class EmailRenderer {
  private constructor(
    private readonly compiled: Map<EmailKind, Compiled>,
    private readonly sources: Sources,
  ) {}

  static async load(templatesDir: string = DEFAULT_DIR): Promise<EmailRenderer> {
    const sources = readSources(templatesDir);
    const mjml = EMAIL_KINDS.flatMap((kind) => LANGUAGES.map((first) => ({ key: `${kind}.${first}`, mjml: mjmlSource(sources, kind, first) })));
    const htmlByKey = await compileInChildProcess(mjml);
    const compiled = new Map<EmailKind, Compiled>();
    for (const kind of EMAIL_KINDS) {
      const copy = sources.copies.get(kind)!;
      const slots = new Slots(KNOWN);
      const chunks = (lang: Language, part: string, source: string) => compileChunks(source, slots, `email template ${kind}.${lang} (${part})`);
      const each = (part: string, source: (lang: Language) => string) => ({ sv: chunks('sv', part, source('sv')), en: chunks('en', part, source('en')) });
      compiled.set(kind, {
        slots,
        html: each('html', (lang) => htmlByKey.get(`${kind}.${lang}`)!),
        text: each('text', (lang) => textSource(copy, lang)),
        subject: each('subject', (lang) => subjectSource(copy, lang)),
      });
    }
    return new EmailRenderer(compiled, sources);
  }

  render(model: EmailModel): RenderedEmail {
    const c = this.compiled.get(model.kind);
    if (!c) throw new Error(`no template for email kind "${model.kind}"`);
    return fill(model, c.html[model.language], c);
  }

  /** The slow path (MJML compiled for this one email), kept only so the benchmark can compare. */
  async renderCompilingMjml(model: EmailModel): Promise<RenderedEmail> {
    const c = this.compiled.get(model.kind);
    if (!c) throw new Error(`no template for email kind "${model.kind}"`);
    const key = `${model.kind}.${model.language}`;
    const source = { key, mjml: mjmlSource(this.sources, model.kind, model.language) };
    // The same HTML as at load: every value it names has its slot already.
    return fill(model, compileChunks(await compileHere(source), c.slots, `email template ${key} (html)`), c);
  }
}

const CONTENT_LANGUAGE: Record<Language, string> = { sv: 'sv, en', en: 'en, sv' };

function fill(model: EmailModel, htmlChunks: Chunk[], c: Compiled): RenderedEmail {
  const first = model.language;
  const views = languageViews(model);
  const brand = BRANDS[model.brand];
  const values = c.slots.read({ sv: views.sv, en: views.en, brandName: brand.fromName, domain: brand.domain });
  const plain = values.map(plainText);
  return {
    subject: headerSafe(fillChunks(c.subject[first], plain, values)),
    html: fillChunks(htmlChunks, values.map(escapeHtml), values),
    text: fillChunks(c.text[first], plain, values),
    contentLanguage: CONTENT_LANGUAGE[first],
  };
}

const other = (lang: Language): Language => (lang === 'sv' ? 'en' : 'sv');

function readSources(dir: string): Sources {
  const read = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8');
  const sources: Sources = { layout: read('layout.mjml'), part: read('part.mjml'), action: read('action.mjml'), copies: new Map() };
  for (const [file, text] of [['layout.mjml', sources.layout], ['part.mjml', sources.part], ['action.mjml', sources.action]] as const) {
    if (/\{\{\{|\{\{&/.test(text)) throw new Error(`${path.join(dir, file)}: unescaped placeholders ({{{ }}} or {{& }}) are not allowed`);
  }
  for (const kind of EMAIL_KINDS) {
    const file = path.join(dir, 'copy', `${kind}.json`);
    const copy = JSON.parse(fs.readFileSync(file, 'utf8')) as KindCopy;
    checkCopy(copy, file);
    sources.copies.set(kind, copy);
  }
  return sources;
}

/**
 * Copy is plain text that goes into the HTML, the text part and the subject alike, so it holds no
 * markup or entities; and a value is always escaped, so no triple-stash.
 */
function checkCopy(copy: KindCopy, file: string): void {
  if (typeof copy.button !== 'boolean') throw new Error(`${file}: "button" must be true or false`);
  for (const lang of LANGUAGES) {
    const c = copy[lang];
    if (!c || typeof c.subject !== 'string' || typeof c.heading !== 'string' || !Array.isArray(c.paragraphs)) {
      throw new Error(`${file}: "${lang}" needs a subject, a heading and paragraphs`);
    }
    for (const p of c.paragraphs) {
      const ok = typeof p === 'string' || (typeof p.if === 'string' && typeof p.text === 'string' && p.text !== '' && (p.else === undefined || (typeof p.else === 'string' && p.else !== '')));
      if (!ok) throw new Error(`${file}: a paragraph is a text, or {"if": name, "text": text, "else"?: text} with texts that are not empty`);
    }
    const texts = [c.subject, c.heading, ...c.paragraphs.flatMap((p) => (typeof p === 'string' ? [p] : [p.text, p.else ?? '']))];
    for (const text of texts) {
      if (/[<>&]|\{\{\{|\{\{&/.test(text)) throw new Error(`${file}: "${text}" has markup, an entity or an unescaped placeholder`);
    }
  }
}

/** `{{name}}` → `{{sv.name}}`, `{{#if name}}` → `{{#if sv.name}}`. */
function bind(text: string, lang: Language): string {
  return text.replace(/\{\{(#if\s+)?(\w+)\s*\}\}/g, (_, cond: string | undefined, name: string) => `{{${cond ?? ''}${lang}.${name}}}`);
}

function paragraphs(copy: Copy, lang: Language, wrap: (text: string) => string): string {
  return copy.paragraphs
    .map((p) => {
      if (typeof p === 'string') return wrap(bind(p, lang));
      const otherwise = p.else === undefined ? '' : `{{else}}${wrap(bind(p.else, lang))}`;
      return `{{#if ${lang}.${p.if}}}${wrap(bind(p.text, lang))}${otherwise}{{/if}}`;
    })
    .join('');
}

/** `<first-language subject> / <second-language subject>`. */
function subjectSource(copy: KindCopy, first: Language): string {
  return `${bind(copy[first].subject, first)} / ${bind(copy[other(first)].subject, other(first))}`;
}

/** `%%NAME%%` → value, in one pass: inserted copy is never scanned again, and a `$` in it stays a `$`. */
function substitute(template: string, values: Record<string, string>): string {
  return template.replace(/%%(\w+)%%/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`unknown template slot %%${name}%%`);
    return value;
  });
}

function mjmlSource(sources: Sources, kind: EmailKind, first: Language): string {
  const copy = sources.copies.get(kind)!;
  const part = (lang: Language, position: string) =>
    substitute(sources.part, {
      LANG: lang,
      POSITION: position,
      HEADING: bind(copy[lang].heading, lang),
      PARAGRAPHS: paragraphs(copy[lang], lang, (t) => `<p style="margin:0 0 12px">${t}</p>`),
      ACTION: copy.button ? substitute(sources.action, { LANG: lang }) : '',
    });
  return substitute(sources.layout, {
    LANG: first,
    TITLE: subjectSource(copy, first),
    PREVIEW: bind(copy[first].heading, first),
    FIRST: part(first, 'part-first'),
    SECOND: part(other(first), 'part-second'),
  });
}

/** The plain-text alternative: the first language in full, a rule, then the second; links written out. */
function textSource(copy: KindCopy, first: Language): string {
  const part = (lang: Language) =>
    [
      `${bind(copy[lang].heading, lang)}\n\n`,
      paragraphs(copy[lang], lang, (t) => `${t}\n\n`),
      copy.button ? `{{${lang}.actionLabel}}: {{${lang}.actionUrl}}\n\n` : '',
    ].join('');
  return `${part(first)}----------------------------------------\n\n${part(other(first))}`;
}

const UNSAFE_IN_HEADER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]| {2}/;
/** A header never takes a line break (or any other control character) from data. */
function headerSafe(text: string): string {
  // Almost every subject is clean already: one test instead of two replaces that change nothing.
  if (!UNSAFE_IN_HEADER.test(text)) return text.trim();
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/ {2,}/g, ' ').trim();
}
