/**
 * Email addresses and activation tokens never appear in full where people read (logs, failed
 * messages' reasons): enough of an address to tell people apart, not to mail them.
 */

// The local part before any `@`, in any script (RFC 6531), whatever follows: a domain that is
// not one (an IDN with a stray control character) must not leave the mailbox readable. It leaves
// out the rarely used atext that also separates URL parameters (`?email=karin@…` keeps `email=`).
// The kept first character is never `*`, so that what is masked already stays as it is
// (`k***@…`, a URL's `user:***@host`) when it passes through again.
const EMAIL = /([\p{L}\p{N}\p{M}._%+!#$^~'-])[\p{L}\p{N}\p{M}._%+!#$*^~'-]*@/gu;
const TOKEN = /(token=)[^&\s"']+/gi;

/**
 * `karin.berg@kaffekoppen.example` → `k***@kaffekoppen.example`, `öjvind@kaffekoppen-umeå.example`
 * → `ö***@kaffekoppen-umeå.example`; `token=abc` → `token=***`. Text without either is returned as is.
 */
export function maskSecrets(text: string): string {
  // Most strings hold neither: skip the regular expressions for them (this runs on every log field).
  if (!text.includes('@') && !/token=/i.test(text)) return text;
  return text.replace(EMAIL, '$1***@').replace(TOKEN, '$1***');
}
