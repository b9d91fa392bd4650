/**
 * Requeue as a background operation: support sends back one message, a selection, a group or
 * all of them, and polls the progress. Thousands go back in chunks, each chunk re-read from the
 * database just before it is sent, so a message that is no longer failed (requeued by someone
 * else, archived, handled) is skipped, not sent twice. The same request repeated (same
 * idempotency key) returns the operation it started; a message that another running operation
 * holds is left to it. Operations live in the process that runs them (they are lost with it;
 * repeating one then sends back only what is still failed).
 */
import crypto from 'node:crypto';
import type { Store } from '../store/store.js';
import type { Publisher } from '../broker/publisher.js';
import { requeue } from './requeue.js';
import { describeSelection, selectionIds, type Selection } from './failed.js';
import { UnavailableError } from './errors.js';
import type { Logger } from '../logger.js';

export type OperationStatus = 'running' | 'done' | 'stopped';

/** An operation's progress, as the API returns it (times ISO-8601). */
export interface RequeueOperation {
  id: string;
  kind: 'requeue';
  selection: string;
  actor: string;
  status: OperationStatus;
  /** Messages the selection named when the operation started. */
  total: number;
  /** Of those, looked at so far: requeued + skipped + failed. */
  processed: number;
  requeued: number;
  /** Not failed any more when their turn came, or held by another operation. */
  skipped: number;
  /** Could not be sent back (e.g. the broker went away): still failed, safe to requeue again. */
  failed: number;
  /** The first messages not requeued, with why (at most 100). */
  notRequeued: { id: number; detail: string }[];
  /** Why the operation stopped early, when it did. */
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface RequeueOperationsDeps {
  store: Store;
  /** The broker's confirm channel now, or undefined while not connected. */
  publisher: () => Publisher | undefined;
  eventsQueue: string;
  log: Logger;
  /** After a chunk put failed deliveries back in the outbox: deliver them now. */
  onRequeued?: () => void;
  /** Messages per chunk (re-read and sent together). */
  chunkSize?: number;
  clock?: () => number;
}

const KEPT_OPERATIONS = 200;
const KEPT_PROBLEMS = 100;

export class RequeueOperations {
  private readonly operations = new Map<string, RequeueOperation>();
  /** `<actor>\n<idempotency key>` -> the id of the operation it started. */
  private readonly byKey = new Map<string, Promise<string>>();
  private readonly keyOf = new Map<string, string>();
  private readonly running = new Map<string, Promise<void>>();
  /** Failed message id -> the running operation that holds it. */
  private readonly held = new Map<number, string>();
  /** Set by stop(): running operations end after their chunk in progress. */
  private stopping = false;

  constructor(private readonly deps: RequeueOperationsDeps) {}

  /**
   * Starts requeueing `selection` for `actor` (`user:anna`, `client:portal`, `cli:bo`) and returns
   * at once. With an `idempotencyKey` seen before, returns that earlier operation instead
   * (`created: false`). Throws NotFoundError for unknown ids, UnavailableError while the
   * broker is not connected.
   */
  start(selection: Selection, actor: string, idempotencyKey?: string): Promise<{ operation: RequeueOperation; created: boolean }> {
    if (idempotencyKey === undefined) return this.create(selection, actor);
    const key = `${actor}\n${idempotencyKey}`;
    // Kept before the first await: a repeat arriving while the first is still starting gets it too.
    const known = this.byKey.get(key);
    if (known) return known.then((id) => ({ operation: this.get(id)!, created: false }));
    const starting = this.create(selection, actor, key);
    this.byKey.set(key, starting.then(({ operation }) => operation.id));
    starting.catch(() => this.byKey.delete(key));
    return starting;
  }

  private async create(selection: Selection, actor: string, key?: string): Promise<{ operation: RequeueOperation; created: boolean }> {
    if (!this.deps.publisher()) throw new UnavailableError('the worker is not connected to RabbitMQ: nothing was requeued, try again once /readyz is 200');
    const ids = await selectionIds(this.deps.store, selection);
    const now = this.now();
    const operation: RequeueOperation = {
      id: crypto.randomUUID(), kind: 'requeue', selection: describeSelection(selection), actor, status: 'running',
      total: ids.length, processed: 0, requeued: 0, skipped: 0, failed: 0, notRequeued: [], error: null,
      startedAt: new Date(now).toISOString(), finishedAt: null,
    };
    this.remember(operation, key);
    await this.deps.store.transaction((tx) =>
      tx.auditLog.add({ actor, action: 'requeue', target: operation.selection, detail: `operation ${operation.id}: ${ids.length} messages` }, now),
    );
    this.deps.log.info({ operationId: operation.id, actor, selection: operation.selection, total: ids.length }, 'requeue started');
    const run = this.run(operation, ids).finally(() => this.running.delete(operation.id));
    this.running.set(operation.id, run);
    return { operation: { ...operation }, created: true };
  }

  /** A copy of the operation's progress, or undefined for an id this process does not know. */
  get(id: string): RequeueOperation | undefined {
    const operation = this.operations.get(id);
    return operation && { ...operation, notRequeued: [...operation.notRequeued] };
  }

  /** Newest first. */
  list(): RequeueOperation[] {
    return [...this.operations.values()].reverse().map((o) => this.get(o.id)!);
  }

  /** Resolves when the operation has finished (done or stopped). */
  async finished(id: string): Promise<RequeueOperation | undefined> {
    await this.running.get(id);
    return this.get(id);
  }

  /** Waits for every running operation (at shutdown: they stop after their chunk in progress). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.running.values());
  }

  private async run(operation: RequeueOperation, ids: number[]): Promise<void> {
    const chunkSize = this.deps.chunkSize ?? 100;
    try {
      for (let i = 0; i < ids.length; i += chunkSize) {
        if (this.stopping) throw new Error('the worker is stopping; requeue again to send back what is still failed');
        await this.runChunk(operation, ids.slice(i, i + chunkSize));
      }
      operation.status = 'done';
    } catch (err) {
      operation.status = 'stopped';
      operation.error = (err as Error).message;
      operation.failed += operation.total - operation.processed;
      operation.processed = operation.total;
      this.deps.log.warn({ operationId: operation.id, err: operation.error }, 'requeue stopped');
    } finally {
      operation.finishedAt = new Date(this.now()).toISOString();
      for (const [id, holder] of this.held) if (holder === operation.id) this.held.delete(id);
    }
    const { requeued, skipped, failed, total } = operation;
    this.deps.log.info({ operationId: operation.id, total, requeued, skipped, failed, status: operation.status }, 'requeue finished');
  }

  private async runChunk(operation: RequeueOperation, chunk: number[]): Promise<void> {
    const mine = chunk.filter((id) => {
      const holder = this.held.get(id);
      if (holder && holder !== operation.id) {
        this.note(operation, 'skipped', id, `being requeued by operation ${holder}`);
        return false;
      }
      this.held.set(id, operation.id);
      return true;
    });
    const messages = await this.deps.store.read((r) => r.failed.list({ ids: mine }));
    for (const id of mine) if (!messages.some((m) => m.id === id)) this.note(operation, 'skipped', id, 'no such failed message any more');
    try {
      const publisher = this.deps.publisher();
      if (!publisher) throw new UnavailableError('the connection to RabbitMQ was lost');
      const results = await requeue(this.deps.store, publisher, this.deps.eventsQueue, messages, operation.actor, this.now());
      for (const r of results) {
        if (r.ok) this.note(operation, 'requeued', r.id);
        else this.note(operation, r.error ? 'failed' : 'skipped', r.id, r.detail);
      }
      if (results.some((r) => r.ok)) this.deps.onRequeued?.();
      // The broker refused or went away: the rest would fare no better (they stay failed).
      const refused = results.find((r) => r.error);
      if (refused) throw new UnavailableError(`RabbitMQ did not take #${refused.id}: ${refused.error!.message}`);
    } finally {
      for (const id of mine) this.held.delete(id);
    }
  }

  private note(operation: RequeueOperation, outcome: 'requeued' | 'skipped' | 'failed', id: number, detail?: string): void {
    operation[outcome] += 1;
    operation.processed += 1;
    if (detail && operation.notRequeued.length < KEPT_PROBLEMS) operation.notRequeued.push({ id, detail });
  }

  private remember(operation: RequeueOperation, key: string | undefined): void {
    this.operations.set(operation.id, operation);
    if (key !== undefined) this.keyOf.set(operation.id, key);
    // Keep the newest finished ones; running ones are never forgotten.
    for (const [id, o] of this.operations) {
      if (this.operations.size <= KEPT_OPERATIONS) break;
      if (o.status === 'running') continue;
      this.operations.delete(id);
      const forgotten = this.keyOf.get(id);
      if (forgotten !== undefined) this.byKey.delete(forgotten);
      this.keyOf.delete(id);
    }
  }

  private now(): number {
    return (this.deps.clock ?? Date.now)();
  }
}
