/**
 * Support's reads of one collaboration's history: the events it received (inbox), what was
 * sent for it (outbox), and the collaborations matching a search.
 */
import type { Sql } from './database.js';
import { collaborationFromRow, type CollaborationRow } from '../collaboration.js';
import type { Collaboration } from '../collaboration.js';
import type { ReceivedEvent } from '../inbox-mark.js';
import type { SentItem } from '../outbox-entry.js';

/**
 * Collaborations whose id, customer id or organisation number is `text`, or whose customer name
 * contains it (case-insensitive); newest invitation first.
 */
export async function searchCollaborations(sql: Sql, text: string, limit: number): Promise<Collaboration[]> {
  const rows = await sql.all<CollaborationRow>(
    `SELECT * FROM collaborations
     WHERE id = ? OR json_extract(activation, '$.customer.id') = ? OR json_extract(activation, '$.customer.orgNumber') = ?
        OR instr(lower(json_extract(activation, '$.customer.name')), lower(?)) > 0
     ORDER BY invited_at DESC LIMIT ?`,
    [text, text, text, text, limit],
  );
  return rows.map(collaborationFromRow);
}

export async function findCollaboration(sql: Sql, id: string): Promise<Collaboration | undefined> {
  const row = await sql.get<CollaborationRow>('SELECT * FROM collaborations WHERE id = ?', [id]);
  return row ? collaborationFromRow(row) : undefined;
}

/** Events handled for this collaboration (inbox marks are pruned after RETENTION_DAYS). */
export async function receivedEvents(sql: Sql, collaborationId: string): Promise<ReceivedEvent[]> {
  return sql.all<ReceivedEvent>(
    'SELECT source, id, type, handled_at AS handledAt, outcome FROM inbox WHERE collaboration_id = ? ORDER BY handled_at',
    [collaborationId],
  );
}

/** Emails, commands and events queued for this collaboration (done rows are pruned after RETENTION_DAYS). */
export async function sentFor(sql: Sql, collaborationId: string): Promise<SentItem[]> {
  const rows = await sql.all<Omit<SentItem, 'payload'> & { payload: string }>(
    `SELECT id, channel, topic, status, attempts, last_error AS lastError, created_at AS createdAt, done_at AS doneAt, payload
     FROM outbox WHERE collaboration_id = ? ORDER BY seq`,
    [collaborationId],
  );
  return rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) as unknown }));
}
