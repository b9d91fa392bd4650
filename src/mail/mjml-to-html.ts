/**
 * One MJML template to HTML, strictly validated. Imported by the compiler child process, and
 * lazily by the benchmark's slow path: never by the worker itself (mjml is about 55 MB loaded).
 */
import mjml2html from 'mjml';
import type { MjmlSource } from './mjml-compiler.js';

export type MjmlResult = { key: string; html: string; error?: undefined } | { key: string; html?: undefined; error: string };

export async function mjmlToHtml({ key, mjml }: MjmlSource): Promise<MjmlResult> {
  try {
    const { html, errors } = await mjml2html(mjml, { validationLevel: 'strict', keepComments: false });
    // mjml 5 throws under strict validation (below); a list here would come from another version.
    return errors.length ? { key, error: describe(errors) } : { key, html };
  } catch (err) {
    // A ValidationError, with the list of what is wrong in `errors`.
    const errors = (err as { errors?: { formattedMessage?: string; message: string }[] } | null)?.errors;
    return { key, error: errors?.length ? describe(errors) : err instanceof Error ? err.message : String(err) };
  }
}

function describe(errors: { formattedMessage?: string; message: string }[]): string {
  // The formatted message names the working directory instead of the file: keep line and text
  // only. The line is one of the assembled template (layout with its parts), not of a file.
  return errors.map((e) => (e.formattedMessage ?? e.message).replace(/^Line (\d+) of [^(]*\(/, 'line $1 (')).join('; ');
}
