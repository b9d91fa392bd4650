/**
 * Compiles MJML in a short-lived child process and sends the HTML back. mjml and its
 * dependencies take about 55 MB of memory once loaded; compiled here, they never load into the
 * long-running worker (see mjml-compiler.ts).
 */
import mjml2html from 'mjml';

interface Request {
  key: string;
  mjml: string;
}

process.once('message', (requests: Request[]) => {
  void (async () => {
    const results: { key: string; html?: string; error?: string }[] = [];
    for (const { key, mjml } of requests) {
      const { html, errors } = await mjml2html(mjml, { validationLevel: 'strict', keepComments: false });
      results.push(errors.length ? { key, error: errors.map((e) => e.formattedMessage).join('; ') } : { key, html });
    }
    process.send!(results, () => process.exit(0));
  })();
});
