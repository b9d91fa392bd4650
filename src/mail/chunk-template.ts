/**
 * The email templates' own compiler, for the one subset of Handlebars they use: `{{a.b}}` and
 * `{{#if a.b}}…{{else}}…{{/if}}`. A template becomes static text and slot numbers; to fill it is
 * to join strings. Handlebars did the same work with a context lookup, a prototype check and an
 * escape for every placeholder of every email, which was 90 % of a render.
 *
 * Handlebars' removal of "standalone" lines around a block tag is not done: text stays as it is
 * written. None of today's templates has such a line (a tag alone on its line), so their output
 * is the same as it was with Handlebars.
 *
 * The templates of one kind share one `Slots` table: per email, each value they name is read
 * once and escaped once, however often the HTML shows it (see renderer.ts).
 */

/** Static text, the slot of a value, or a condition on a slot's value. */
export type Chunk = string | number | Condition;
export interface Condition {
  if: number;
  then: Chunk[];
  else: Chunk[];
}

/** The values the templates name, in slot order; a placeholder not in `known` fails the load. */
export class Slots {
  private readonly slotByPath = new Map<string, number>();
  private readonly paths: string[][] = [];

  constructor(private readonly known: ReadonlySet<string>) {}

  slot(path: string, template: string): number {
    let slot = this.slotByPath.get(path);
    if (slot === undefined) {
      if (!this.known.has(path)) throw new Error(`${template}: unknown placeholder {{${path}}}`);
      slot = this.paths.push(path.split('.')) - 1;
      this.slotByPath.set(path, slot);
    }
    return slot;
  }

  /** Every slot's value in `context`, e.g. `{ sv: { name: 'Åsa' } }` for `sv.name`. */
  read(context: object): unknown[] {
    const values = new Array<unknown>(this.paths.length);
    for (let slot = 0; slot < this.paths.length; slot++) {
      let value: unknown = context;
      for (const key of this.paths[slot]!) value = (value as Record<string, unknown> | undefined)?.[key];
      values[slot] = value;
    }
    return values;
  }
}

const TAG = /\{\{(.*?)\}\}/gs;
const IF = /^\s*#if\s+([\w.]+)\s*$/;
const ELSE = /^\s*else\s*$/;
const END_IF = /^\s*\/if\s*$/;
const VALUE = /^\s*([\w.]+)\s*$/;

/** `template` names the template in errors. Anything outside the subset fails here, at load. */
export function compileChunks(source: string, slots: Slots, template: string): Chunk[] {
  const root: Chunk[] = [];
  // The open conditions, innermost last, each with the list its chunks go to now.
  const open: { condition: Condition; into: Chunk[] }[] = [];
  let into = root;
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`${template}: ${why}`);
  };
  const text = (s: string) => {
    if (s.includes('{{')) fail(`unclosed {{ in "${s.slice(s.indexOf('{{'), s.indexOf('{{') + 40)}"`);
    if (s) into.push(s);
  };
  for (const match of source.matchAll(TAG)) {
    const before = source.slice(at, match.index);
    // Handlebars would print `\{{x}}` as a literal `{{x}}`: refuse it rather than differ.
    if (before.endsWith('\\')) fail(`\\{{${match[1]!.slice(0, 40)}}} is not supported`);
    text(before);
    at = match.index + match[0].length;
    const tag = match[1]!;
    let m: RegExpExecArray | null;
    if ((m = IF.exec(tag))) {
      const condition: Condition = { if: slots.slot(m[1]!, template), then: [], else: [] };
      into.push(condition);
      open.push({ condition, into: condition.then });
      into = condition.then;
    } else if (ELSE.test(tag)) {
      const inner = open.at(-1);
      if (!inner || inner.into === inner.condition.else) return fail('{{else}} outside an {{#if}}, or a second one');
      into = inner.into = inner.condition.else;
    } else if (END_IF.test(tag)) {
      if (!open.pop()) fail('{{/if}} without an {{#if}}');
      into = open.at(-1)?.into ?? root;
    } else if ((m = VALUE.exec(tag))) {
      into.push(slots.slot(m[1]!, template));
    } else {
      fail(`unsupported tag {{${tag.slice(0, 40)}}}`);
    }
  }
  text(source.slice(at));
  if (open.length) fail('{{#if}} without {{/if}}');
  return root;
}

/**
 * The template with each slot's text (`texts`: escaped for HTML, or as they are for plain text);
 * a condition holds when the slot's raw value (`values`) is truthy, as Handlebars' `if` for
 * strings, numbers and booleans.
 */
export function fillChunks(chunks: readonly Chunk[], texts: readonly string[], values: readonly unknown[]): string {
  let out = '';
  for (const chunk of chunks) {
    if (typeof chunk === 'string') out += chunk;
    else if (typeof chunk === 'number') out += texts[chunk];
    else out += fillChunks(values[chunk.if] ? chunk.then : chunk.else, texts, values);
  }
  return out;
}
