/** `store copy --to postgres://…`: moving an existing SQLite database up to PostgreSQL. */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { maskUrl } from '../support/masked-url.js';
import { openStore } from '../store/open-store.js';
import { copyStore } from '../store/copy.js';
import { TABLES } from '../store/tables.js';
import { cliConfig, print } from './context.js';

function postgresTarget(text: string): string {
  let protocol = '';
  try {
    protocol = new URL(text).protocol;
  } catch {
    // reported below
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new Error(`--to "${maskUrl(text)}" is not a PostgreSQL URL: expected postgres://user:password@host:5432/database`);
  }
  return text;
}

export function registerStore(program: Command): void {
  program
    .command('store')
    .description('the database the worker keeps its state in')
    .command('copy')
    .description('copy the SQLite database into an empty PostgreSQL database (stop the workers first), then print the row counts of both')
    .requiredOption('--to <url>', 'the PostgreSQL database, e.g. postgres://user:password@host:5432/collab')
    .option('--from <path>', 'the SQLite file (default: DATABASE_PATH)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { to: string; from?: string; json?: boolean }) => {
      const config = cliConfig();
      const to = postgresTarget(o.to);
      const from = path.resolve(o.from ?? config.databasePath);
      if (!fs.existsSync(from)) throw new Error(`no SQLite database at ${from} (DATABASE_PATH, or --from)`);
      const source = await openStore({ databasePath: from });
      try {
        const target = await openStore({ databasePath: from, databaseUrl: to, databasePoolSize: 2, urlSetting: '--to' });
        try {
          const result = await copyStore(source, target);
          const changed = TABLES.some((t) => result.source[t.name] !== result.target[t.name]);
          if (o.json) print(JSON.stringify({ from, to: maskUrl(to), ...result }));
          else {
            print(`copied ${from} to ${maskUrl(to)}`);
            print(`${'table'.padEnd(22)}${'sqlite'.padStart(10)}${'postgresql'.padStart(12)}`);
            for (const t of TABLES) print(`${t.name.padEnd(22)}${String(result.source[t.name]).padStart(10)}${String(result.target[t.name]).padStart(12)}`);
            print(secretAdvice(from, config.activationSecret));
          }
          if (changed) {
            process.stderr.write('the SQLite database changed during the copy (a worker still running?): stop every worker, empty the target and copy again\n');
            process.exitCode = 1;
          }
        } finally {
          await target.close();
        }
      } finally {
        await source.close();
      }
    });
}

/**
 * Activation links already sent were derived from the SQLite setup's secret, which a database
 * never holds: the instances on PostgreSQL need the same one in ACTIVATION_SECRET.
 */
function secretAdvice(databasePath: string, configured: string | undefined): string {
  const file = `${databasePath}.secret`;
  if (configured) return 'ACTIVATION_SECRET is set: give every instance on PostgreSQL this same value (activation links already sent were made with it)';
  if (fs.existsSync(file)) {
    return `activation links already sent were made with the secret in ${file}: set ACTIVATION_SECRET to its content on every instance on PostgreSQL`;
  }
  return `no ${file}: set ACTIVATION_SECRET on every instance on PostgreSQL (the same value on each)`;
}
