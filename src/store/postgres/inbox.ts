/** The inbox on PostgreSQL: every handled event by its CloudEvents identity (source + id). */
import type { PgSql } from './connection.js';
import { keyOf, type EventKey, type HandledEvent } from '../inbox-mark.js';

export async function findHandled(sql: PgSql, events: EventKey[]): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const { rows } = await sql.query<EventKey>(
    `SELECT source, id FROM inbox WHERE (source, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
    [events.map((e) => e.source), events.map((e) => e.id)],
  );
  return new Set(rows.map(keyOf));
}

/**
 * A plain INSERT: the same event marked by another worker meanwhile is a unique violation, which
 * the transaction turns into a conflict and runs again (and then finds the event handled).
 */
export async function markHandled(sql: PgSql, events: HandledEvent[], now: number): Promise<void> {
  if (events.length === 0) return;
  await sql.query(
    `INSERT INTO inbox (source, id, type, handled_at, collaboration_id, outcome)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[])`,
    [
      events.map((e) => e.source), events.map((e) => e.id), events.map((e) => e.type), events.map(() => now),
      events.map((e) => e.collaborationId ?? null), events.map((e) => e.outcome ?? null),
    ],
  );
}
