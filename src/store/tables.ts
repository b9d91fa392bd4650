/**
 * The tables every adapter keeps, with the same names and columns, as neutral data: what
 * `store copy` moves from one adapter to another. Listed in copy order (a row's foreign keys
 * come before it).
 */

/** text: a string; integer: a whole number (times in ms since the epoch, counts, ids); blob: bytes. */
export type ColumnType = 'text' | 'integer' | 'blob';

export type RowValue = string | number | Buffer | null;
export type Row = Record<string, RowValue>;

export interface TableShape {
  name: TableName;
  /** Columns in order, with their type. */
  columns: Record<string, ColumnType>;
  /** The key rows are read in, a window at a time. */
  key: string[];
  /** A column numbered by the database: a copy keeps the numbers and moves the counter past them. */
  generated?: string;
}

export type TableName = 'collaborations' | 'customer_admins' | 'inbox' | 'outbox' | 'failed_messages' | 'failed_message_audit' | 'audit_log';

export const TABLES: TableShape[] = [
  {
    name: 'collaborations',
    key: ['id'],
    columns: {
      id: 'text', state: 'text', brand: 'text', relation: 'text', service_code: 'text', invitation_kind: 'text', activation: 'text',
      invited_at: 'integer', expires_at: 'integer', reminders_sent: 'integer', next_due_at: 'integer', approved_at: 'integer',
      ended_at: 'integer', updated_at: 'integer',
    },
  },
  {
    name: 'customer_admins',
    key: ['id'],
    columns: {
      id: 'text', collaboration_id: 'text', customer_id: 'text', email: 'text', first_name: 'text', last_name: 'text', phone: 'text',
      token_nonce: 'text', token_hash: 'text', token_expires_at: 'integer', activated_at: 'integer', created_at: 'integer',
    },
  },
  {
    name: 'inbox',
    key: ['source', 'id'],
    columns: { source: 'text', id: 'text', type: 'text', handled_at: 'integer', collaboration_id: 'text', outcome: 'text' },
  },
  {
    name: 'outbox',
    key: ['seq'],
    generated: 'seq',
    columns: {
      seq: 'integer', id: 'text', channel: 'text', topic: 'text', collaboration_id: 'text', payload: 'text', status: 'text',
      attempts: 'integer', next_attempt_at: 'integer', lease_until: 'integer', last_error: 'text', created_at: 'integer',
      done_at: 'integer', lease_owner: 'text',
    },
  },
  {
    name: 'failed_messages',
    key: ['id'],
    generated: 'id',
    columns: {
      id: 'integer', failure_key: 'text', origin: 'text', message_id: 'text', source: 'text', type: 'text', collaboration_id: 'text',
      exchange: 'text', routing_key: 'text', content_type: 'text', headers: 'text', body: 'blob', error_class: 'text', reason: 'text',
      group_key: 'text', attempts: 'integer', first_failed_at: 'integer', last_failed_at: 'integer', status: 'text',
    },
  },
  {
    name: 'failed_message_audit',
    key: ['id'],
    generated: 'id',
    columns: { id: 'integer', failed_message_id: 'integer', action: 'text', actor: 'text', at: 'integer' },
  },
  {
    name: 'audit_log',
    key: ['id'],
    generated: 'id',
    columns: { id: 'integer', at: 'integer', actor: 'text', action: 'text', target: 'text', detail: 'text' },
  },
];

export type TableCounts = Record<TableName, number>;

/** Receives a table's rows, a window at a time, in key order. */
export type RowWriter = (table: TableShape, rows: Row[]) => Promise<void>;
