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
import { registerStore } from './cli/store.js';
import { registerTap } from './cli/tap.js';
import { registerConsole } from './cli/console.js';

// `failed list --all | head -4`: the reader has gone, and there is nobody left to print to.
// That ends the command quietly, as it does for other Unix tools, instead of with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

const program = new Command()
  .name('collab-worker')
  .description('Operate collab-worker: publish events, watch what is published, inspect and re-queue failed messages, run reminders, preview emails, prune old rows, make support console credentials, copy the database to PostgreSQL.')
  .showHelpAfterError();

registerPublish(program);
registerFailed(program);
registerReminders(program);
registerTemplates(program);
registerPrune(program);
registerStore(program);
registerTap(program);
registerConsole(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
