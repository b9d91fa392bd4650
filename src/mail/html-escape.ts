/**
 * A value for HTML, escaped exactly as Handlebars' `{{value}}` did before the templates had their
 * own compiler (chunk-template.ts): the same seven characters, and nothing for a missing value.
 */
import { inlineText } from './inline-text.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '`': '&#x60;', '=': '&#x3D;' };
const SPECIAL = /[&<>"'`=]/;
const SPECIALS = /[&<>"'`=]/g;

export function escapeHtml(value: unknown): string {
  const text = plainText(value);
  // Most values have nothing to escape: a test is cheaper than a replace that changes nothing.
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => ENTITIES[c]!) : text;
}

/**
 * A value for plain text (subject, text part), and what escapeHtml escapes: a string on one line
 * that cannot change the direction of the text around it (inline-text.ts); nothing for a
 * missing value.
 */
export function plainText(value: unknown): string {
  if (typeof value === 'string') return inlineText(value);
  return value == null ? '' : String(value);
}
