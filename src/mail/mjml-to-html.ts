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
    return errors.length ? { key, error: describe(errors) } : { key, html };
  } catch (err) {
    // mjml 5 throws a ValidationError (with the list in `errors`) under strict validation.
    const errors = (err as { errors?: { formattedMessage?: string; message: string }[] }).errors;
    return { key, error: errors?.length ? describe(errors) : String((err as Error).message ?? err) };
  }
}

function describe(errors: { formattedMessage?: string; message: string }[]): string {
  // The formatted message names the working directory instead of the file: keep line and text only.
  return errors.map((e) => (e.formattedMessage ?? e.message).replace(/^Line (\d+) of [^(]*\(/, 'line $1 (')).join('; ');
}
