/** `failed ...`: what support needs to see why messages failed and send them back. */
import os from 'node:os';
import type { Command } from 'commander';
import { buildTopology } from '../broker/topology.js';
import { archive, failedDetail, summary, unarchive } from '../support/failed.js';
import { RequeueOperations } from '../support/requeue-operations.js';
import { createLogger } from '../logger.js';
import { cliConfig, print, withStore, withPublisher, withReadOnlyStore } from './context.js';

const iso = (ms: number) => new Date(ms).toISOString();

function parseIds(ids: string[]): number[] {
  return ids.map((id) => {
    const n = Number(id);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`"${id}" is not a failed message id (see: failed list)`);
    return n;
  });
}

function actor(option: string | undefined): string {
  return option ?? process.env.SUDO_USER ?? os.userInfo().username;
}

export function registerFailed(program: Command): void {
  const failed = program.command('failed').description('failed messages: list, group, show, requeue, archive, unarchive');

  failed
    .command('list')
    .description('failed messages, newest first')
    .option('--json', 'print a JSON array')
    .option('--reason <text>', 'only those whose reason contains this text')
    .option('--type <type>', 'only this event or command type')
    .option('--all', 'include requeued and archived ones')
    .action(async (o: { json?: boolean; reason?: string; type?: string; all?: boolean }) => {
      const rows = await withReadOnlyStore(cliConfig(), (store) =>
        store.read((r) => r.failed.list({ status: o.all ? undefined : ['failed'], reason: o.reason, type: o.type })),
      );
      if (o.json) return print(JSON.stringify(rows.map(summary), null, 2));
      if (rows.length === 0) return print('no failed messages');
      for (const m of rows) {
        print(`#${m.id}  ${iso(m.lastFailedAt)}  ${m.type ?? '?'}  ${m.collaborationId ?? '-'}  attempts=${m.attempts}  ${m.status}`);
        print(`     ${m.errorClass}: ${m.reason}   [group ${m.groupKey}]`);
      }
    });

  failed
    .command('groups')
    .description('failed messages counted by reason (error class and message shape)')
    .option('--json', 'print a JSON array')
    .action(async (o: { json?: boolean }) => {
      const groups = await withReadOnlyStore(cliConfig(), (store) => store.read((r) => r.failed.groups()));
      if (o.json) return print(JSON.stringify(groups.map((g) => ({ ...g, lastFailedAt: iso(g.lastFailedAt) })), null, 2));
      if (groups.length === 0) return print('no failed messages');
      for (const g of groups) print(`${g.groupKey}  ${String(g.count).padStart(5)}  ${g.errorClass}: ${g.example}`);
    });

  failed
    .command('show')
    .description('everything kept about one failed message')
    .argument('<id>')
    .action(async (id: string) => {
      const [n] = parseIds([id]);
      await withReadOnlyStore(cliConfig(), async (store) => {
        const m = await failedDetail(store, n!);
        if (!m) throw new Error(`no failed message #${n}`);
        const { body, audit, ...rest } = m;
        print(JSON.stringify({ ...rest, messageId: rest.eventId }, null, 2));
        print('body:');
        print(body);
        if (audit.length) {
          print('audit:');
          for (const a of audit) print(`  ${a.at}  ${a.action}  by ${a.actor}`);
        }
      });
    });

  failed
    .command('requeue')
    .description('send failed messages back for handling (after the cause is fixed)')
    .argument('[ids...]')
    .option('--group <group>', 'every failed message of this group (see: failed groups)')
    .option('--all', 'every failed message')
    .option('--actor <name>', 'who is doing this, for the audit trail (default: the OS user)')
    .action(async (ids: string[], o: { group?: string; all?: boolean; actor?: string }) => {
      if (!ids.length && !o.group && !o.all) throw new Error('name ids, --group <group> or --all');
      const config = cliConfig();
      const eventsQueue = buildTopology({ prefix: config.queuePrefix, retryDelaysMs: config.retryDelaysMs, deliveryLimit: config.deliveryLimit }).eventsQueue;
      const selection = ids.length ? { ids: parseIds(ids) } : o.group ? { group: o.group } : { all: true as const };
      await withStore(config, async (store) => {
        // The same operation the console and API run, in the foreground.
        const done = await withPublisher(config, async (publisher) => {
          const operations = new RequeueOperations({ store, eventsQueue, publisher: () => publisher, log: createLogger('silent') });
          const { operation } = await operations.start(selection, actor(o.actor));
          return (await operations.finished(operation.id))!;
        });
        for (const p of done.notRequeued) print(`#${p.id} not requeued: ${p.detail}`);
        if (done.error) print(`stopped: ${done.error}`);
        print(`${done.requeued} of ${done.total} requeued`);
        if (done.requeued < done.total) process.exitCode = 1;
      });
    });

  failed
    .command('archive')
    .description('keep failed messages but hide them from the list (undo: failed unarchive)')
    .argument('<ids...>')
    .option('--actor <name>', 'who is doing this, for the audit trail (default: the OS user)')
    .action((ids: string[], o: { actor?: string }) => move(ids, { change: archive, action: 'archived', actor: actor(o.actor) }));

  failed
    .command('unarchive')
    .description('list archived failed messages again, as failed')
    .argument('<ids...>')
    .option('--actor <name>', 'who is doing this, for the audit trail (default: the OS user)')
    .action((ids: string[], o: { actor?: string }) => move(ids, { change: unarchive, action: 'unarchived', actor: actor(o.actor) }));
}

/**
 * Archive or unarchive, through the same service as the console and API: each id is moved only
 * from the status it must have and says what happened to it; one in another status is left
 * alone (and named), so doing it twice is harmless.
 */
async function move(ids: string[], m: { change: typeof archive; action: string; actor: string }): Promise<void> {
  const numbers = parseIds(ids);
  await withStore(cliConfig(), async (store) => {
    const { changed, unchanged } = await m.change(store, numbers, m.actor);
    for (const id of numbers) {
      const left = unchanged.find((u) => u.id === id);
      print(left ? `#${id} not ${m.action}: its ${left.detail}` : `#${id} ${m.action}`);
    }
    print(`${changed.length} of ${numbers.length} ${m.action}`);
  });
}
