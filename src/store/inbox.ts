/** The inbox remembers every handled event by its CloudEvents identity (source + id). */
import type { Sql } from './database.js';

export async function isHandled(sql: Sql, source: string, id: string): Promise<boolean> {
  return (await sql.get('SELECT 1 FROM inbox WHERE source = ? AND id = ?', [source, id])) !== undefined;
}

export async function markHandled(sql: Sql, source: string, id: string, type: string, now: number): Promise<void> {
  await sql.run('INSERT INTO inbox (source, id, type, handled_at) VALUES (?, ?, ?, ?)', [source, id, type, now]);
}
