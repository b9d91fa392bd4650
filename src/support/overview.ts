/** The worker at a glance: broker and consumer, outbox backlog, failed messages by status. */
import type { Database } from '../store/database.js';
import { backlog } from '../store/outbox.js';
import { countFailedByStatus } from '../store/failed-messages.js';
import type { FailedStatus } from '../store/failed-messages.js';

export interface Readiness {
  ready: boolean;
  detail: Record<string, unknown>;
}

export interface Overview {
  /** What /readyz says: ready, and why not (broker, consuming, …). */
  ready: boolean;
  broker: string;
  consuming: boolean | null;
  outbox: { pending: number; oldestAgeSeconds: number | null };
  failed: Record<FailedStatus, number>;
  at: string;
}

export async function overview(db: Database, readiness: Readiness, now = Date.now()): Promise<Overview> {
  const { pending, oldestCreatedAt } = await backlog(db);
  const consuming = readiness.detail.consuming;
  return {
    ready: readiness.ready,
    broker: String(readiness.detail.broker ?? 'unknown'),
    consuming: typeof consuming === 'boolean' ? consuming : null,
    outbox: { pending, oldestAgeSeconds: oldestCreatedAt === null ? null : Math.max(0, Math.round((now - oldestCreatedAt) / 1000)) },
    failed: await countFailedByStatus(db),
    at: new Date(now).toISOString(),
  };
}
