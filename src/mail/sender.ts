/** Who an email is from, and where an activation link points, per brand. */
import { BRANDS } from './brands.js';
import type { Brand } from './email-model.js';

export function senderFor(brand: Brand, mailFrom: string | undefined): string {
  if (mailFrom) return mailFrom;
  const b = BRANDS[brand];
  return `"${b.fromName}" <no-reply@${b.domain}>`;
}

export function activationUrl(brand: Brand, token: string): string {
  return `${BRANDS[brand].activationBaseUrl}?token=${encodeURIComponent(token)}`;
}
