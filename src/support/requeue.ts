/**
 * Sends failed messages back for another go, once support has fixed the cause. A queue
 * message is republished unchanged (same envelope id, so the inbox still de-duplicates) to the
 * worker's events queue with a fresh retry budget; a failed delivery is put back in the outbox.
 * Each requeue is recorded in the audit trail with who did it.
 */
import type { Store } from '../store/store.js';
import type { Publisher } from '../broker/publisher.js';
import type { FailedMessage } from '../store/failed-message.js';
import { ROUTING_KEY_HEADER } from '../intake/failure.js';

export interface RequeueResult {
  id: number;
  ok: boolean;
  detail: string;
}

export async function requeue(
  store: Store,
  publisher: Publisher,
  eventsQueue: string,
  messages: FailedMessage[],
  actor: string,
  now: number,
): Promise<RequeueResult[]> {
  const results: RequeueResult[] = [];
  for (const m of messages) {
    if (m.status !== 'failed') {
      results.push({ id: m.id, ok: false, detail: `status is ${m.status}, not failed` });
      continue;
    }
    if (m.origin === 'outbox') {
      const revived = await store.transaction(async (tx) => {
        const ok = await tx.outbox.revive(m.messageId!, now);
        if (ok) await tx.failed.setStatus(m.id, 'requeued', actor, now);
        return ok;
      });
      results.push({ id: m.id, ok: revived, detail: revived ? 'back in the outbox' : 'outbox row is no longer failed' });
      continue;
    }
    // Publish first, then mark: a crash between the two leaves it listed as failed (requeue
    // again is harmless: the inbox drops a second copy), never marked but not sent.
    await publisher.sendToQueue(eventsQueue, m.body, {
      messageId: m.messageId ?? `requeue-${m.id}-${now}`,
      contentType: m.contentType ?? undefined,
      headers: { ...m.headers, [ROUTING_KEY_HEADER]: m.routingKey },
    });
    await store.transaction((tx) => tx.failed.setStatus(m.id, 'requeued', actor, now));
    results.push({ id: m.id, ok: true, detail: `sent to ${eventsQueue}` });
  }
  return results;
}
