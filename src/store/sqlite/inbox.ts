/** The inbox remembers every handled event by its CloudEvents identity (source + id). */
import type { Sql } from './database.js';
import { insertRows } from './bulk.js';
import { keyOf, type EventKey, type HandledEvent } from '../inbox-mark.js';

/** Which of these events were handled before: one query for a whole batch. */
export async function findHandled(sql: Sql, events: EventKey[]): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const rows = await sql.all<EventKey>(
    `SELECT source, id FROM inbox WHERE (source, id) IN (VALUES ${events.map(() => '(?, ?)').join(', ')})`,
    events.flatMap((e) => [e.source, e.id]),
  );
  return new Set(rows.map(keyOf));
}

export async function markHandled(sql: Sql, events: HandledEvent[], now: number): Promise<void> {
  await insertRows(
    sql,
    'INSERT INTO inbox (source, id, type, handled_at, collaboration_id, outcome)',
    6,
    events.map((e) => [e.source, e.id, e.type, now, e.collaborationId ?? null, e.outcome ?? null]),
  );
}
