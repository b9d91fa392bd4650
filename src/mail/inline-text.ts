/**
 * A value from a message as it goes into an email's subject, HTML and text part: it must not
 * change the direction or the line structure of the text around it (contract, section 6).
 * Explicit bidi controls (UAX #9: embeddings, overrides, isolates, marks) are removed; line and
 * paragraph breaks (CR, LF, NEL U+0085, U+2028, U+2029) and other control characters become a
 * space; a value written in a right-to-left script is isolated (FSI … PDI, UAX #9 section 2.7),
 * so that it reads right to left inside the sentence without reordering the sentence.
 */

const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const BREAKS_AND_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
const EITHER = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
const RIGHT_TO_LEFT = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}]/u;
const FSI = '\u2068';
const PDI = '\u2069';

/** `Kaffe\u202E BA nekoppok` → `Kaffe BA nekoppok`; `a\u2028b` → `a b`; `مقهى` → FSI `مقهى` PDI. */
export function inlineText(value: string): string {
  // Nearly every value is plain: two tests, no replace.
  const clean = EITHER.test(value) ? value.replace(BIDI_CONTROLS, '').replace(BREAKS_AND_CONTROLS, ' ') : value;
  return RIGHT_TO_LEFT.test(clean) ? `${FSI}${clean}${PDI}` : clean;
}
