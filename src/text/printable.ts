/**
 * Text that people read in a terminal or a list (a refusal reason quoting the input) shows every
 * character it holds: controls, invisible and direction-changing characters copied from a
 * message are written as escapes (`\u202E`), so they can neither hide nor reorder what is around them.
 */

// Controls, format characters (bidi controls, zero-width), line and paragraph separators,
// surrogates, private-use and unassigned code points, and every space but the plain one.
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}\p{Zs}]/gu;

/** `"Kaffe\u202E BA"` with the override as the six characters `\u202E`; a plain space stays a space. */
export function printable(text: string): string {
  return text.replace(HIDDEN, (c) => {
    if (c === ' ') return c;
    const code = c.codePointAt(0)!;
    return code > 0xffff ? `\\u{${code.toString(16).toUpperCase()}}` : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  });
}
