import { describe, expect, it } from 'vitest';
import { escapeHtml, plainText } from '../../src/mail/html-escape.js';

describe('escapeHtml', () => {
  it('escapes the seven characters Handlebars escapes, with its entities', () => {
    expect(escapeHtml(`& < > " ' \` =`)).toBe('&amp; &lt; &gt; &quot; &#x27; &#x60; &#x3D;');
    expect(escapeHtml('<a href="x?a=1&b=2">')).toBe('&lt;a href&#x3D;&quot;x?a&#x3D;1&amp;b&#x3D;2&quot;&gt;');
  });

  it('leaves other text as it is, including entities already written and non-ASCII', () => {
    expect(escapeHtml('Åsa Öberg, 559123-4567 / $1 {{x}}')).toBe('Åsa Öberg, 559123-4567 / $1 {{x}}');
    expect(escapeHtml('&amp;')).toBe('&amp;amp;');
  });

  it('writes a missing value as nothing, numbers and booleans as text', () => {
    expect(escapeHtml(undefined)).toBe('');
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(0)).toBe('0');
    expect(escapeHtml(2)).toBe('2');
    expect(escapeHtml(false)).toBe('false');
    expect(escapeHtml('')).toBe('');
  });
});

describe('plainText', () => {
  it('never escapes; a missing value is nothing', () => {
    expect(plainText(`<b>&"'=</b>`)).toBe(`<b>&"'=</b>`);
    expect(plainText(undefined)).toBe('');
    expect(plainText(3)).toBe('3');
    expect(plainText(true)).toBe('true');
  });
});
