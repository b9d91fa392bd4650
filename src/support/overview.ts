/** The worker at a glance: broker and consumer, outbox backlog, failed messages by status. */
import type { Store } from '../store/store.js';
import type { FailedStatus } from '../store/failed-message.js';

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

export async function overview(store: Store, readiness: Readiness, now = Date.now()): Promise<Overview> {
  const { pending, oldestCreatedAt } = await store.read((r) => r.outbox.backlog());
  const consuming = readiness.detail.consuming;
  return {
    ready: readiness.ready,
    broker: String(readiness.detail.broker ?? 'unknown'),
    consuming: typeof consuming === 'boolean' ? consuming : null,
    outbox: { pending, oldestAgeSeconds: oldestCreatedAt === null ? null : Math.max(0, Math.round((now - oldestCreatedAt) / 1000)) },
    failed: await store.read((r) => r.failed.countByStatus()),
    at: new Date(now).toISOString(),
  };
}
