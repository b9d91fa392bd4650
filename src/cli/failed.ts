/** `failed ...`: what support needs to see why messages failed and send them back. */
import os from 'node:os';
import type { Command } from 'commander';
import type { FailedMessage, FailedStatus } from '../store/failed-message.js';
import { buildTopology } from '../broker/topology.js';
import { requeue } from '../support/requeue.js';
import { cliConfig, print, withStore, withPublisher, withReadOnlyStore } from './context.js';

const iso = (ms: number) => new Date(ms).toISOString();

function summary(m: FailedMessage) {
  return {
    id: m.id,
    type: m.type,
    collaborationId: m.collaborationId,
    origin: m.origin,
    errorClass: m.errorClass,
    reason: m.reason,
    group: m.groupKey,
    attempts: m.attempts,
    firstFailedAt: iso(m.firstFailedAt),
    failedAt: iso(m.lastFailedAt),
    status: m.status,
  };
}

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
        const [m] = await store.read((r) => r.failed.list({ ids: [n!] }));
        if (!m) throw new Error(`no failed message #${n}`);
        const { body, headers, ...rest } = m;
        print(JSON.stringify({ ...summary(m), exchange: rest.exchange, routingKey: rest.routingKey, contentType: rest.contentType, messageId: rest.messageId, source: rest.source, headers }, null, 2));
        print('body:');
        print(prettyBody(body));
        const audit = await store.read((r) => r.failed.auditTrail(m.id));
        if (audit.length) {
          print('audit:');
          for (const a of audit) print(`  ${iso(a.at)}  ${a.action}  by ${a.actor}`);
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
      await withStore(config, async (store) => {
        const messages = await store.read((r) => r.failed.list(ids.length ? { ids: parseIds(ids) } : { status: ['failed'], group: o.group }));
        if (ids.length && messages.length < ids.length) throw new Error(`unknown id among ${ids.join(', ')} (see: failed list)`);
        const results = await withPublisher(config, (publisher) => requeue(store, publisher, eventsQueue, messages, actor(o.actor), Date.now()));
        for (const r of results) print(`#${r.id} ${r.ok ? 'requeued' : 'not requeued'}: ${r.detail}`);
        print(`${results.filter((r) => r.ok).length} of ${results.length} requeued`);
        if (results.some((r) => !r.ok)) process.exitCode = 1;
      });
    });

  failed
    .command('archive')
    .description('keep failed messages but hide them from the list (undo: failed unarchive)')
    .argument('<ids...>')
    .option('--actor <name>', 'who is doing this, for the audit trail (default: the OS user)')
    .action((ids: string[], o: { actor?: string }) => move(ids, { from: 'failed', to: 'archived', action: 'archived', actor: actor(o.actor) }));

  failed
    .command('unarchive')
    .description('list archived failed messages again, as failed')
    .argument('<ids...>')
    .option('--actor <name>', 'who is doing this, for the audit trail (default: the OS user)')
    .action((ids: string[], o: { actor?: string }) => move(ids, { from: 'archived', to: 'failed', action: 'unarchived', actor: actor(o.actor) }));
}

/**
 * Archive or unarchive: each id is moved only from the status it must have, and says what
 * happened to it; one in another status is left alone (and named), so doing it twice is harmless.
 */
async function move(ids: string[], m: { from: FailedStatus; to: FailedStatus; action: string; actor: string }): Promise<void> {
  const numbers = parseIds(ids);
  await withStore(cliConfig(), async (store) => {
    const found = await store.read((r) => r.failed.list({ ids: numbers }));
    const missing = numbers.filter((n) => !found.some((f) => f.id === n));
    if (missing.length) throw new Error(`no failed message ${missing.map((n) => `#${n}`).join(', ')}`);
    const now = Date.now();
    const moved = await store.transaction(async (tx) => {
      const done: number[] = [];
      for (const f of found) if (await tx.failed.move(f.id, m.from, m.to, m.action, m.actor, now)) done.push(f.id);
      return done;
    });
    for (const f of found) print(moved.includes(f.id) ? `#${f.id} ${m.action}` : `#${f.id} not ${m.action}: its status is ${f.status}, not ${m.from}`);
    print(`${moved.length} of ${found.length} ${m.action}`);
  });
}

function prettyBody(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
