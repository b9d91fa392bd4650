/**
 * Sends failed messages back for another go, once support has fixed the cause. A queue
 * message is republished unchanged (same envelope id, so the inbox still de-duplicates) to the
 * worker's events queue with a fresh retry budget; a failed delivery is put back in the outbox.
 * Each requeue is recorded in the audit trail with who did it.
 */
import type { Database } from '../store/database.js';
import type { Publisher } from '../broker/publisher.js';
import { markRequeued, setFailedStatus, type FailedMessage } from '../store/failed-messages.js';
import { revive } from '../store/outbox.js';
import { REQUEUED_FROM_HEADER, ROUTING_KEY_HEADER } from '../intake/failure.js';
import { withoutBrokerHeaders } from '../broker/headers.js';

export interface RequeueResult {
  id: number;
  ok: boolean;
  detail: string;
}

export async function requeue(
  db: Database,
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
      const revived = await db.transaction(async (sql) => {
        const ok = await revive(sql, m.messageId!, now);
        if (ok) await setFailedStatus(sql, m.id, 'requeued', actor, now);
        return ok;
      });
      results.push({ id: m.id, ok: revived, detail: revived ? 'back in the outbox' : 'outbox row is no longer failed' });
      continue;
    }
    // Publish first, then mark: a crash between the two leaves it listed as failed (requeue
    // again is harmless: the inbox drops a second copy), never marked but not sent. The worker
    // may fail it again before the mark: markRequeued then leaves its newer `failed` alone.
    // The broker's headers (x-death, …) stay behind: RabbitMQ would take them for a
    // dead-letter cycle on the message's next retry.
    await publisher.sendToQueue(eventsQueue, m.body, {
      messageId: m.messageId ?? `requeue-${m.id}-${now}`,
      contentType: m.contentType ?? undefined,
      headers: { ...withoutBrokerHeaders(m.headers), [ROUTING_KEY_HEADER]: m.routingKey, [REQUEUED_FROM_HEADER]: m.id },
    });
    const marked = await db.transaction((sql) => markRequeued(sql, m.id, m.attempts, actor, now));
    results.push({ id: m.id, ok: true, detail: marked ? `sent to ${eventsQueue}` : `sent to ${eventsQueue}; it has failed again since` });
  }
  return results;
}
