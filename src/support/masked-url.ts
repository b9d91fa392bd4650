/**
 * A URL fit for a log line or an error message: the password replaced by `***`, the rest kept
 * as written (scheme, user, host, port, path), so an operator can see where the worker goes.
 */
export function maskUrl(text: string): string {
  // The user information ends at the last `@` before the path; the password after its first `:`.
  return text.replace(/^([^:/?#]*:\/\/[^:/?#@]*:)[^/?#]*@/, '$1***@');
}
