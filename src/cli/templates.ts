/** `templates preview`: every email kind rendered with example data, as HTML files to open in a browser. */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { EmailRenderer } from '../mail/renderer.js';
import { exampleModels } from '../mail/examples.js';
import { print } from './context.js';

export function registerTemplates(program: Command): void {
  program
    .command('templates')
    .description('the email templates')
    .command('preview')
    .description('write the rendered HTML (and text) of each email kind with example data')
    .option('--kind <kind>', 'only this kind (invitation, admin-welcome, reminder, collaboration-approved, invitation-expired, collaboration-ended)')
    .option('--brand <brand>', 'only this brand (spiris, visma)')
    .option('--lang <lang>', 'only emails whose first language is this (sv, en)')
    .option('--out <dir>', 'where to write the files', './var/preview')
    .action(async (o: { kind?: string; brand?: string; lang?: string; out: string }) => {
      const renderer = await EmailRenderer.load();
      const models = exampleModels().filter(
        (m) => (!o.kind || m.kind === o.kind) && (!o.brand || m.brand === o.brand) && (!o.lang || m.language === o.lang),
      );
      if (models.length === 0) throw new Error('no example matches those options');
      fs.mkdirSync(o.out, { recursive: true });
      for (const model of models) {
        const email = renderer.render(model);
        const base = path.join(o.out, `${model.kind}.${model.brand}.${model.language}`);
        fs.writeFileSync(`${base}.html`, email.html);
        fs.writeFileSync(`${base}.txt`, `Subject: ${email.subject}\nContent-Language: ${email.contentLanguage}\n\n${email.text}`);
        print(`${base}.html  — ${email.subject}`);
      }
    });
}
