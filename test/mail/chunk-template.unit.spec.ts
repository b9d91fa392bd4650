import { describe, expect, it } from 'vitest';
import { compileChunks, fillChunks, Slots } from '../../src/mail/chunk-template.js';
import { escapeHtml, plainText } from '../../src/mail/html-escape.js';

const KNOWN = new Set(['brandName', 'sv.name', 'sv.url', 'sv.count', 'sv.flag', 'en.name']);

/** Compiles `source` and fills it from `context`, escaped for HTML or not. */
function render(source: string, context: object, html = true): string {
  const slots = new Slots(KNOWN);
  const chunks = compileChunks(source, slots, 'test');
  const values = slots.read(context);
  return fillChunks(chunks, values.map(html ? escapeHtml : plainText), values);
}

describe('compileChunks and fillChunks', () => {
  it('keeps static text as it is and fills values by their dotted path', () => {
    expect(render('<p class="x">{{brandName}}: {{sv.name}} / {{en.name}}</p>', { brandName: 'B', sv: { name: 'Åsa' }, en: { name: 'Asa' } })).toBe(
      '<p class="x">B: Åsa / Asa</p>',
    );
  });

  it('escapes values for HTML, and only values; plain text gets them as they are', () => {
    const context = { sv: { name: `<i>"A" & 'B'</i>`, url: 'https://x/?a=1&b=`2`' } };
    expect(render('<a href="{{sv.url}}">{{sv.name}}</a>', context)).toBe(
      '<a href="https://x/?a&#x3D;1&amp;b&#x3D;&#x60;2&#x60;">&lt;i&gt;&quot;A&quot; &amp; &#x27;B&#x27;&lt;/i&gt;</a>',
    );
    expect(render('{{sv.name}} {{sv.url}}', context, false)).toBe(`<i>"A" & 'B'</i> https://x/?a=1&b=\`2\``);
  });

  it('a missing value is nothing; numbers and booleans are written out', () => {
    expect(render('[{{sv.name}}][{{sv.count}}][{{sv.flag}}]', { sv: { count: 0, flag: false } })).toBe('[][0][false]');
    expect(render('[{{sv.name}}]', {})).toBe('[]');
  });

  it('{{#if}} shows its text when the value is truthy, else the {{else}} text or nothing', () => {
    const source = 'a{{#if sv.name}}[{{sv.name}}]{{else}}(none){{/if}}b{{#if sv.count}}#{{sv.count}}{{/if}}c';
    expect(render(source, { sv: { name: 'N', count: 2 } })).toBe('a[N]b#2c');
    for (const empty of [undefined, '', 0, false]) expect(render(source, { sv: { name: empty, count: empty } })).toBe('a(none)bc');
  });

  it('nests conditions', () => {
    const source = '{{#if sv.flag}}F{{#if sv.name}}N{{else}}-{{/if}}{{else}}{{#if sv.name}}n{{/if}}!{{/if}}';
    expect(render(source, { sv: { flag: true, name: 'x' } })).toBe('FN');
    expect(render(source, { sv: { flag: true } })).toBe('F-');
    expect(render(source, { sv: { name: 'x' } })).toBe('n!');
    expect(render(source, { sv: {} })).toBe('!');
  });

  it('takes whitespace inside a tag, and keeps whitespace around a block as it is', () => {
    expect(render('{{ sv.name }}\n  {{#if  sv.name }}\nx\n{{ else }}\ny\n{{ /if }}\n', { sv: { name: 'N' } })).toBe('N\n  \nx\n\n');
  });

  it('each value has one slot, however often the templates name it', () => {
    const slots = new Slots(KNOWN);
    compileChunks('{{sv.name}}{{#if sv.name}}{{sv.name}}{{/if}}', slots, 'a');
    compileChunks('{{en.name}} {{sv.name}}', slots, 'b');
    expect(slots.read({ sv: { name: 'S' }, en: { name: 'E' } })).toEqual(['S', 'E']);
  });

  it('fails, naming the template, on a placeholder that is not a known value', () => {
    const compile = (source: string) => () => compileChunks(source, new Slots(KNOWN), 'invitation.sv (html)');
    expect(compile('Hej {{sv.nmae}}')).toThrow('invitation.sv (html): unknown placeholder {{sv.nmae}}');
    expect(compile('{{#if sv.nope}}x{{/if}}')).toThrow(/unknown placeholder \{\{sv\.nope\}\}/);
    expect(compile('{{name}}')).toThrow(/unknown placeholder \{\{name\}\}/);
  });

  it('fails on anything outside the subset, and on unbalanced blocks', () => {
    const compile = (source: string) => () => compileChunks(source, new Slots(KNOWN), 't');
    expect(compile('{{{sv.name}}}')).toThrow(/unsupported tag/);
    expect(compile('{{&sv.name}}')).toThrow(/unsupported tag/);
    expect(compile('{{!-- note --}}')).toThrow(/unsupported tag/);
    expect(compile('{{#each sv.name}}x{{/each}}')).toThrow(/unsupported tag/);
    expect(compile('{{> partial}}')).toThrow(/unsupported tag/);
    expect(compile('\\{{sv.name}}')).toThrow(/not supported/);
    expect(compile('a {{sv.name')).toThrow(/unclosed \{\{/);
    expect(compile('{{#if sv.name}}x')).toThrow(/without \{\{\/if\}\}/);
    expect(compile('x{{/if}}')).toThrow(/without an \{\{#if\}\}/);
    expect(compile('{{else}}')).toThrow(/\{\{else\}\} outside/);
    expect(compile('{{#if sv.name}}a{{else}}b{{else}}c{{/if}}')).toThrow(/a second one/);
  });
});
