/**
 * LISTEN on a connection of its own (a pooled one would be handed to others): each commit that
 * adds outbox rows, on any instance, wakes this instance's dispatcher at once. If the connection
 * is lost it is opened again, backing off; the listeners are called once it is back (rows may
 * have come meanwhile), and the dispatcher's poll covers the gap.
 */
import pg from 'pg';
import type { Logger } from '../../logger.js';
import { OUTBOX_CHANNEL } from './migrations.js';

const FIRST_RETRY_MS = 200;
const LAST_RETRY_MS = 5_000;

export class OutboxNotifications {
  private readonly listeners = new Set<() => void>();
  private client: pg.Client | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private retryMs = FIRST_RETRY_MS;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly log: Logger | undefined,
    /** Told when the connection is lost: the database may be gone. */
    private readonly onLost: (err: unknown) => void,
  ) {}

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    this.running ??= this.connect();
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    while (!this.closed) {
      const client = new pg.Client(this.config);
      try {
        await client.connect();
        await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      } catch (err) {
        client.end().catch(() => undefined);
        this.onLost(err);
        await new Promise((resolve) => setTimeout(resolve, this.retryMs).unref());
        this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
        continue;
      }
      if (this.closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.retryMs = FIRST_RETRY_MS;
      client.on('notification', () => this.notify());
      client.on('error', (err) => this.lost(client, err));
      client.on('end', () => this.lost(client, new Error('LISTEN connection ended')));
      this.notify();
      return;
    }
  }

  private lost(client: pg.Client, err: unknown): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.log?.warn({ err: (err as Error)?.message ?? String(err) }, 'outbox LISTEN connection lost; opening it again');
    this.onLost(err);
    this.running = this.connect();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
