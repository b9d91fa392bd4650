/**
 * Renders the bilingual emails. At load, every kind's MJML is compiled to HTML once per language
 * order (Swedish first, English first), in a child process so that mjml never takes memory in
 * the worker, and handed to Handlebars; an email is then a template fill of microseconds, never
 * an MJML compile. Handlebars escapes every value in the HTML.
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
import Handlebars from 'handlebars';
import { BRANDS } from './brands.js';
import { languageViews } from './view-model.js';
import type { EmailKind, EmailModel, Language, RenderedEmail } from './email-model.js';
import { compileHere, compileInChildProcess } from './mjml-compiler.js';

type CompileOptions = Parameters<typeof Handlebars.compile>[1];

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

/** Per first language: one fill each for the HTML, the text and the subject of an email. */
interface Compiled {
  html: Record<Language, HandlebarsTemplateDelegate>;
  text: Record<Language, HandlebarsTemplateDelegate>;
  subject: Record<Language, HandlebarsTemplateDelegate>;
}

/**
 * Templates use no helpers but `if`: telling Handlebars so turns every `{{sv.name}}` into a
 * plain property read instead of a helper lookup, which roughly halves the time of a fill.
 */
const FAST: CompileOptions = { knownHelpersOnly: true, knownHelpers: { if: true }, data: false };
const html = (source: string) => Handlebars.compile(source, FAST);
/** Subjects and text are plain text: nothing in them is HTML, so Handlebars must not escape. */
const plain = (source: string) => Handlebars.compile(source, { ...FAST, noEscape: true });

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
      compiled.set(kind, {
        html: { sv: html(htmlByKey.get(`${kind}.sv`)!), en: html(htmlByKey.get(`${kind}.en`)!) },
        text: { sv: plain(textSource(copy, 'sv')), en: plain(textSource(copy, 'en')) },
        subject: { sv: plain(subjectSource(copy, 'sv')), en: plain(subjectSource(copy, 'en')) },
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
    const source = { key: `${model.kind}.${model.language}`, mjml: mjmlSource(this.sources, model.kind, model.language) };
    return fill(model, html(await compileHere(source)), c);
  }
}

function fill(model: EmailModel, htmlTemplate: HandlebarsTemplateDelegate, c: Compiled): RenderedEmail {
  const first = model.language;
  const views = languageViews(model);
  const brand = BRANDS[model.brand];
  return {
    subject: headerSafe(c.subject[first](views)),
    html: htmlTemplate({ sv: views.sv, en: views.en, brandName: brand.fromName, domain: brand.domain }),
    text: c.text[first](views),
    contentLanguage: `${first}, ${other(first)}`,
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

/** A header never takes a line break (or any other control character) from data. */
function headerSafe(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/ {2,}/g, ' ').trim();
}
