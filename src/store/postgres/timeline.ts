/**
 * Support's reads of one collaboration's history on PostgreSQL: the events it received (inbox),
 * what was sent for it (outbox), and the collaborations matching a search.
 */
import type { PgSql } from './connection.js';
import { collaborationFromRow, type CollaborationRow } from '../collaboration.js';
import type { Collaboration } from '../collaboration.js';
import type { ReceivedEvent } from '../inbox-mark.js';
import type { SentItem } from '../outbox-entry.js';

/** The activation is kept as JSON text: read as jsonb for the search (a scan, as on SQLite). */
export async function searchCollaborations(sql: PgSql, text: string, limit: number): Promise<Collaboration[]> {
  const { rows } = await sql.query<CollaborationRow>(
    `SELECT * FROM collaborations
     WHERE id = $1 OR activation::jsonb #>> '{customer,id}' = $1 OR activation::jsonb #>> '{customer,orgNumber}' = $1
        OR strpos(lower(activation::jsonb #>> '{customer,name}'), lower($1)) > 0
     ORDER BY invited_at DESC LIMIT $2`,
    [text, limit],
  );
  return rows.map(collaborationFromRow);
}

export async function findCollaboration(sql: PgSql, id: string): Promise<Collaboration | undefined> {
  const { rows } = await sql.query<CollaborationRow>('SELECT * FROM collaborations WHERE id = $1', [id]);
  return rows[0] ? collaborationFromRow(rows[0]) : undefined;
}

export async function receivedEvents(sql: PgSql, collaborationId: string): Promise<ReceivedEvent[]> {
  const { rows } = await sql.query<ReceivedEvent>(
    'SELECT source, id, type, handled_at AS "handledAt", outcome FROM inbox WHERE collaboration_id = $1 ORDER BY handled_at',
    [collaborationId],
  );
  return rows;
}

export async function sentFor(sql: PgSql, collaborationId: string): Promise<SentItem[]> {
  const { rows } = await sql.query<Omit<SentItem, 'payload'> & { payload: string }>(
    `SELECT id, channel, topic, status, attempts, last_error AS "lastError", created_at AS "createdAt", done_at AS "doneAt", payload
     FROM outbox WHERE collaboration_id = $1 ORDER BY seq`,
    [collaborationId],
  );
  return rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) as unknown }));
}
