/** The inbox remembers every handled event by its CloudEvents identity (source + id). */
import type { Sql } from './database.js';

/**
 * Marks the event handled; false when it already was (a redelivery or a second publish). Done
 * first, inside the event's savepoint: if handling is rolled back, so is the mark.
 */
export async function markHandled(sql: Sql, source: string, id: string, type: string, now: number): Promise<boolean> {
  const { changes } = await sql.run(
    'INSERT INTO inbox (source, id, type, handled_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    [source, id, type, now],
  );
  return changes === 1;
}
