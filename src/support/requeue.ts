/**
 * Sends failed messages back for another go, once support has fixed the cause. A queue
 * message is republished unchanged (same envelope id, so the inbox still de-duplicates) to the
 * worker's events queue with a fresh retry budget; a failed delivery is put back in the outbox.
 * Each requeue is recorded in the audit trail with who did it.
 *
 * The messages given are handled together: the publishes are in flight at once (their confirms
 * come back as a stream), and the marks are written in one transaction afterwards, so a chunk of
 * a hundred costs about one round trip to the broker and one commit, not a hundred of each.
 */
import type { Store } from '../store/store.js';
import type { Publisher } from '../broker/publisher.js';
import type { FailedMessage } from '../store/failed-message.js';
import { REQUEUED_FROM_HEADER, ROUTING_KEY_HEADER } from '../intake/failure.js';
import { withoutBrokerHeaders } from '../broker/headers.js';

export interface RequeueResult {
  id: number;
  ok: boolean;
  detail: string;
  /** Set when the broker did not confirm the publish (the message is still failed: safe to requeue again). */
  error?: Error;
}

/** Results in the order of `messages`. Never throws for a refused publish: that message's result says so. */
export async function requeue(
  store: Store,
  publisher: Publisher,
  eventsQueue: string,
  messages: FailedMessage[],
  actor: string,
  now: number,
): Promise<RequeueResult[]> {
  const results = new Map<number, RequeueResult>();
  const fromQueue: FailedMessage[] = [];
  const fromOutbox: FailedMessage[] = [];
  for (const m of messages) {
    if (m.status !== 'failed') results.set(m.id, { id: m.id, ok: false, detail: `status is ${m.status}, not failed` });
    else (m.origin === 'outbox' ? fromOutbox : fromQueue).push(m);
  }
  if (fromOutbox.length) {
    await store.transaction(async (tx) => {
      for (const m of fromOutbox) {
        const revived = await tx.outbox.revive(m.messageId!, now);
        if (revived) await tx.failed.setStatus(m.id, 'requeued', actor, now);
        results.set(m.id, { id: m.id, ok: revived, detail: revived ? 'back in the outbox' : 'outbox row is no longer failed' });
      }
    });
  }
  // Publish first, then mark: a crash between the two leaves it listed as failed (requeue
  // again is harmless: the inbox drops a second copy), never marked but not sent. The worker
  // may fail it again before the mark: markRequeued then leaves its newer `failed` alone.
  // The broker's headers (x-death, …) stay behind: RabbitMQ would take them for a
  // dead-letter cycle on the message's next retry.
  const published = await Promise.allSettled(
    fromQueue.map((m) =>
      publisher.sendToQueue(eventsQueue, m.body, {
        messageId: m.messageId ?? `requeue-${m.id}-${now}`,
        contentType: m.contentType ?? undefined,
        headers: { ...withoutBrokerHeaders(m.headers), [ROUTING_KEY_HEADER]: m.routingKey, [REQUEUED_FROM_HEADER]: m.id },
      }),
    ),
  );
  const sent = fromQueue.filter((m, i) => {
    const outcome = published[i]!;
    if (outcome.status === 'rejected') {
      const error = outcome.reason instanceof Error ? outcome.reason : new Error(String(outcome.reason));
      results.set(m.id, { id: m.id, ok: false, detail: `not sent: ${error.message}`, error });
    }
    return outcome.status === 'fulfilled';
  });
  if (sent.length) {
    await store.transaction(async (tx) => {
      for (const m of sent) {
        const marked = await tx.failed.markRequeued(m.id, m.attempts, actor, now);
        results.set(m.id, { id: m.id, ok: true, detail: marked ? `sent to ${eventsQueue}` : `sent to ${eventsQueue}; it has failed again since` });
      }
    });
  }
  return messages.map((m) => results.get(m.id)!);
}
