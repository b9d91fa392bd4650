/**
 * Support's view of collaborations: search, and one collaboration's timeline (events received
 * with their outcome, emails and commands sent with status and attempts, reminders, failed
 * messages, its administrator without any token).
 */
import type { Store } from '../store/store.js';
import type { Collaboration } from '../store/collaboration.js';
import { summary, type FailedSummary } from './failed.js';
import type { EmailPayload } from '../handlers/effects.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface CollaborationSummary {
  id: string;
  state: Collaboration['state'];
  brand: string;
  service: string;
  customer: { id: string; name: string; orgNumber: string; relation: string };
  agency: { id: string; name: string };
  invitedAt: string;
}

function summarize(c: Collaboration): CollaborationSummary {
  const a = c.activation;
  return {
    id: c.id,
    state: c.state,
    brand: a.brand,
    service: a.service.code,
    customer: { id: a.customer.id, name: a.customer.name, orgNumber: a.customer.orgNumber, relation: a.customer.relation },
    agency: { id: a.agency.id, name: a.agency.name },
    invitedAt: iso(c.invitedAt)!,
  };
}

/** Collaborations by id, customer id or org number (exact), or customer name (contains); at most `limit`. */
export async function searchCollaborationsFor(store: Store, text: string, limit = 50): Promise<CollaborationSummary[]> {
  const q = text.trim();
  if (!q) return [];
  return (await store.read((r) => r.collaborations.search(q, limit))).map(summarize);
}

export type TimelineEntry =
  | { at: string; kind: 'event-received'; type: string; eventId: string; source: string; outcome: string | null }
  | { at: string; kind: 'email' | 'command' | 'event-published'; topic: string; id: string; status: string; attempts: number; lastError: string | null; sentAt: string | null; to?: string }
  | { at: string; kind: 'failed-message'; failedMessageId: number; type: string | null; status: string; reason: string; attempts: number };

export interface Timeline {
  collaboration: CollaborationSummary & {
    invitationKind: string;
    expiresAt: string;
    approvedAt: string | null;
    endedAt: string | null;
  };
  reminders: { sent: number; nextDueAt: string | null };
  /** The customer's administrator, for a new customer: never its token. */
  admin: { id: string; email: string; firstName: string; lastName: string; activatedAt: string | null; activationExpiresAt: string } | null;
  /** Everything that happened, oldest first. */
  entries: TimelineEntry[];
  failedMessages: FailedSummary[];
}

export async function timeline(store: Store, id: string): Promise<Timeline | undefined> {
  const c = await store.read((r) => r.collaborations.find(id));
  if (!c) return undefined;
  const [admin, events, sent, failed] = [
    await store.read((r) => r.customerAdmins.findByCollaboration(id)),
    await store.read((r) => r.inbox.receivedEvents(id)),
    await store.read((r) => r.outbox.sentFor(id)),
    await store.read((r) => r.failed.findPage({ collaborationId: id }, undefined, 200)),
  ];
  const entries: TimelineEntry[] = [
    ...events.map((e) => ({ at: iso(e.handledAt)!, kind: 'event-received' as const, type: e.type, eventId: e.id, source: e.source, outcome: e.outcome })),
    ...sent.map((s) => ({
      at: iso(s.createdAt)!,
      kind: s.channel === 'email' ? ('email' as const) : s.topic.startsWith('collaboration.') || s.topic.startsWith('customer-admin.') ? ('event-published' as const) : ('command' as const),
      topic: s.topic,
      id: s.id,
      status: s.status,
      attempts: s.attempts,
      lastError: s.lastError,
      sentAt: iso(s.doneAt),
      ...(s.channel === 'email' ? { to: (s.payload as EmailPayload).model.to.email } : {}),
    })),
    ...failed.map((f) => ({
      at: iso(f.lastFailedAt)!, kind: 'failed-message' as const, failedMessageId: f.id, type: f.type, status: f.status, reason: f.reason, attempts: f.attempts,
    })),
  ].sort((a, b) => a.at.localeCompare(b.at));
  return {
    collaboration: { ...summarize(c), invitationKind: c.invitationKind, expiresAt: iso(c.expiresAt)!, approvedAt: iso(c.approvedAt), endedAt: iso(c.endedAt) },
    reminders: { sent: c.remindersSent, nextDueAt: c.state === 'pending' ? iso(c.nextDueAt) : null },
    admin: admin
      ? { id: admin.id, email: admin.email, firstName: admin.firstName, lastName: admin.lastName, activatedAt: iso(admin.activatedAt), activationExpiresAt: iso(admin.tokenExpiresAt)! }
      : null,
    entries,
    failedMessages: failed.map(summary),
  };
}
