/**
 * The state of one batch of events, in memory. It is read from the store in two queries (the
 * collaborations and inbox marks the batch refers to, held until the commit), handlers change it
 * event by event, and it is written back in a few multi-row statements, all inside one write
 * transaction.
 *
 * Each event works in a scope of its own: a later event of the batch sees what an earlier one
 * did, but the changes of an event that is retried or refused are simply dropped.
 */
import type { StoreTx } from '../store/store.js';
import type { Collaboration } from '../store/collaboration.js';
import type { NewCustomerAdmin } from '../store/customer-admin.js';
import { keyOf, type HandledEvent } from '../store/inbox-mark.js';
import type { OutboxEntry, OutboxLease, OutboxRow } from '../store/outbox-entry.js';
import { Effects } from '../handlers/effects.js';
import type { HandlerState } from '../handlers/context.js';
import type { IncomingEvent } from '../messages/incoming.js';
import type { TraceExtension } from '../tracing/trace-context.js';

export class BatchState {
  private readonly changed = new Map<string, Collaboration>();
  private readonly admins: NewCustomerAdmin[] = [];
  private readonly outbox: OutboxEntry[] = [];
  private readonly marks: HandledEvent[] = [];

  private constructor(
    private readonly collaborations: Map<string, Collaboration>,
    private readonly handled: Set<string>,
  ) {}

  static async load(tx: StoreTx, events: IncomingEvent[]): Promise<BatchState> {
    const ids = [...new Set(events.map((e) => e.data.collaborationId))];
    // Collaborations first: on PostgreSQL their locks make a concurrent duplicate of an event
    // wait for the other's commit, after which its inbox mark is there to be read.
    const collaborations = await tx.collaborations.load(ids);
    return new BatchState(collaborations, await tx.inbox.findHandled(events));
  }

  /** Handled before, or earlier in this batch (the same event delivered twice). */
  isHandled(event: IncomingEvent): boolean {
    return this.handled.has(keyOf(event));
  }

  /** `trace`: the context of handling this event, which its commands, events and emails carry. */
  scope(event: IncomingEvent, now: Date, trace?: TraceExtension): EventScope {
    return new EventScope(this, new Effects(now, event, trace));
  }

  /** Keeps what the event did and marks it handled; `outcome` is what support's timeline shows (`handled`, `skipped: …`). */
  commit(event: IncomingEvent, scope: EventScope, outcome = 'handled'): void {
    for (const c of scope.changedCollaborations.values()) {
      this.collaborations.set(c.id, c);
      this.changed.set(c.id, c);
    }
    this.admins.push(...scope.admins);
    this.outbox.push(...scope.effects.entries);
    this.handled.add(keyOf(event));
    this.marks.push({ source: event.source, id: event.id, type: event.type, collaborationId: event.data.collaborationId, outcome });
  }

  lookup(id: string): Collaboration | undefined {
    return this.collaborations.get(id);
  }

  /**
   * Writes what the batch changed. `leaseFor` (OutboxHandoff.leaseFor) may lease the new outbox
   * rows to this process's dispatcher; then they come back, with their lease, to hand it after
   * the commit.
   */
  async write(tx: StoreTx, now: number, leaseFor?: (rows: number) => OutboxLease | undefined): Promise<LeasedRows | undefined> {
    if (this.changed.size) await tx.collaborations.save([...this.changed.values()], now);
    if (this.admins.length) await tx.customerAdmins.insert(this.admins, now);
    let leased: LeasedRows | undefined;
    if (this.outbox.length) {
      const lease = leaseFor?.(this.outbox.length);
      const rows = await tx.outbox.add(this.outbox, now, lease);
      if (lease) leased = { rows, lease };
    }
    if (this.marks.length) await tx.inbox.markHandled(this.marks, now);
    return leased;
  }
}

/** Outbox rows written leased to this process's dispatcher. */
export interface LeasedRows {
  rows: OutboxRow[];
  lease: OutboxLease;
}

/** What one event's handler sees: the batch's state plus its own changes so far. */
export class EventScope implements HandlerState {
  readonly changedCollaborations = new Map<string, Collaboration>();
  readonly admins: NewCustomerAdmin[] = [];

  constructor(
    private readonly batch: BatchState,
    readonly effects: Effects,
  ) {}

  collaboration(id: string): Collaboration | undefined {
    return this.changedCollaborations.get(id) ?? this.batch.lookup(id);
  }

  saveCollaboration(collaboration: Collaboration): void {
    this.changedCollaborations.set(collaboration.id, collaboration);
  }

  addCustomerAdmin(admin: NewCustomerAdmin): void {
    this.admins.push(admin);
  }
}
