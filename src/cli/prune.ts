/** `prune`: retention by hand, what the worker does every RETENTION_SCHEDULE. */
import type { Command } from 'commander';
import { retentionCutoff } from '../store/pruning.js';
import { cliConfig, print, withStore } from './context.js';

function parseDays(text: string): number {
  const days = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || days < 1) throw new Error(`--older-than-days "${text}" is not a whole number of days ≥ 1`);
  return days;
}

export function registerPrune(program: Command): void {
  program
    .command('prune')
    .description('delete done outbox rows and inbox marks older than RETENTION_DAYS (pending and failed rows stay)')
    .option('--older-than-days <n>', 'keep this many days instead of RETENTION_DAYS')
    .option('--json', 'print the result as JSON')
    .action(async (o: { olderThanDays?: string; json?: boolean }) => {
      const config = cliConfig();
      const days = o.olderThanDays !== undefined ? parseDays(o.olderThanDays) : config.retentionDays;
      if (days === 0) {
        if (o.json) return print(JSON.stringify({ days: 0, before: null, outbox: 0, inbox: 0 }));
        return print('retention is off (RETENTION_DAYS=0): nothing deleted; --older-than-days N prunes anyway');
      }
      const before = retentionCutoff(Date.now(), days);
      const pruned = await withStore(config, (store) => store.prune(before));
      if (!pruned) throw new Error('another instance is pruning right now (one at a time); nothing deleted here, try again once it is done');
      if (o.json) return print(JSON.stringify({ days, before: new Date(before).toISOString(), ...pruned }));
      print(`deleted ${pruned.outbox} done outbox rows and ${pruned.inbox} inbox marks older than ${days} days (before ${new Date(before).toISOString()})`);
    });
}
