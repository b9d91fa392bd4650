/**
 * Email addresses as the contract takes them: internationalised ones included (RFC 6531), i.e.
 * a domain in any script (an IDN, `kaffekoppen-umeå.example`, the same domain as its A-label
 * `xn--kaffekoppen-ume-vlb.example`) and a local part in any script (`öjvind@…`).
 */
import { domainToASCII } from 'node:url';
// The one validator used, not the package's index, which loads all ~100 of them (MBs of memory).
import isEmailModule from 'validator/lib/isEmail.js';

// A CommonJS module whose types declare an ES default export: the function is its `default`.
const isEmail = isEmailModule.default;

/**
 * True for `local@domain` with a dot-atom local part (UTF-8 allowed, at most 64 octets) and a
 * domain of at least two labels with a top-level one (U-labels or A-labels). No display names,
 * quoted local parts or IP-literal domains: no one the contract mails uses them. No control,
 * format (bidi, zero-width) or space characters anywhere, and the domain must map to an A-label
 * (UTS 46, as mail software resolves it).
 */
export function isEmailAddress(text: string): boolean {
  if (/[\p{C}\p{Z}]/u.test(text) || domainToASCII(text.slice(text.lastIndexOf('@') + 1)) === '') return false;
  return isEmail(text, {
    allow_utf8_local_part: true,
    require_tld: true,
    allow_display_name: false,
    allow_ip_domain: false,
    ignore_max_length: false,
  });
}

/**
 * An address whose local part is not ASCII can only be delivered with SMTPUTF8 (RFC 6531
 * section 3.2). A non-ASCII domain alone does not need it: it is sent as its A-label (RFC 5890).
 */
export function needsSmtpUtf8(address: string): boolean {
  const at = address.lastIndexOf('@');
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(at < 0 ? address : address.slice(0, at));
}
