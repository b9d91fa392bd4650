/**
 * `npm run cli -- <command>`: the operator and support command line.
 * Each command group lives in its own file under cli/.
 */
import { Command } from 'commander';
import { registerPublish } from './cli/publish.js';
import { registerFailed } from './cli/failed.js';
import { registerReminders } from './cli/reminders.js';
import { registerTemplates } from './cli/templates.js';
import { registerPrune } from './cli/prune.js';
import { registerConsole } from './cli/console.js';

const program = new Command()
  .name('collab-worker')
  .description('Operate collab-worker: publish events, inspect and re-queue failed messages, run reminders, preview emails, prune old rows, make support console credentials.')
  .showHelpAfterError();

registerPublish(program);
registerFailed(program);
registerReminders(program);
registerTemplates(program);
registerPrune(program);
registerConsole(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
