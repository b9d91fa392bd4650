/**
 * The SQLite layout, applied in order at start-up; the version is SQLite's `user_version`. A
 * migration is never edited once it has shipped: add a new one (and its PostgreSQL twin in
 * ../postgres/migrations.ts, and its columns in ../tables.ts). Times are milliseconds since the
 * epoch (UTC).
 */
import type { Database, Sql } from './database.js';

const MIGRATIONS: string[] = [
  `
  CREATE TABLE collaborations (
    id               TEXT PRIMARY KEY,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'active', 'expired', 'ended')),
    brand            TEXT NOT NULL,
    relation         TEXT NOT NULL,
    service_code     TEXT NOT NULL,
    invitation_kind  TEXT NOT NULL,
    -- the data of the activation event: everything later emails and commands need
    activation       TEXT NOT NULL,
    invited_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    reminders_sent   INTEGER NOT NULL DEFAULT 0,
    -- when the reminder job must look at it next (reminder or expiry); NULL when never again
    next_due_at      INTEGER,
    approved_at      INTEGER,
    ended_at         INTEGER,
    updated_at       INTEGER NOT NULL
  );
  -- the reminder job reads only pending rows that are due: its cost follows the due rows
  CREATE INDEX collaborations_due ON collaborations (next_due_at) WHERE state = 'pending';

  CREATE TABLE customer_admins (
    id                TEXT PRIMARY KEY,
    collaboration_id  TEXT NOT NULL UNIQUE REFERENCES collaborations (id),
    customer_id       TEXT NOT NULL,
    email             TEXT NOT NULL,
    first_name        TEXT NOT NULL,
    last_name         TEXT NOT NULL,
    phone             TEXT,
    -- the activation token is never stored: only its SHA-256, and the nonce it is derived from
    token_nonce       TEXT NOT NULL,
    token_hash        TEXT NOT NULL UNIQUE,
    token_expires_at  INTEGER NOT NULL,
    activated_at      INTEGER,
    created_at        INTEGER NOT NULL
  );

  CREATE TABLE inbox (
    source      TEXT NOT NULL,
    id          TEXT NOT NULL,
    type        TEXT NOT NULL,
    handled_at  INTEGER NOT NULL,
    PRIMARY KEY (source, id)
  ) WITHOUT ROWID;

  CREATE TABLE outbox (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT NOT NULL UNIQUE,
    channel           TEXT NOT NULL CHECK (channel IN ('email', 'amqp')),
    -- the email kind, or the routing key (= type) of the message to publish
    topic             TEXT NOT NULL,
    collaboration_id  TEXT,
    payload           TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER NOT NULL,
    lease_until       INTEGER,
    last_error        TEXT,
    created_at        INTEGER NOT NULL,
    done_at           INTEGER
  );
  CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';

  CREATE TABLE failed_messages (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    -- one row per failing thing: the same message failing again updates its row
    failure_key       TEXT NOT NULL UNIQUE,
    origin            TEXT NOT NULL CHECK (origin IN ('queue', 'outbox')),
    message_id        TEXT,
    source            TEXT,
    type              TEXT,
    collaboration_id  TEXT,
    exchange          TEXT NOT NULL,
    routing_key       TEXT NOT NULL,
    content_type      TEXT,
    headers           TEXT NOT NULL,
    body              BLOB NOT NULL,
    error_class       TEXT NOT NULL,
    reason            TEXT NOT NULL,
    group_key         TEXT NOT NULL,
    attempts          INTEGER NOT NULL,
    first_failed_at   INTEGER NOT NULL,
    last_failed_at    INTEGER NOT NULL,
    status            TEXT NOT NULL DEFAULT 'failed' CHECK (status IN ('failed', 'requeued', 'archived'))
  );
  CREATE INDEX failed_messages_status ON failed_messages (status, last_failed_at);

  CREATE TABLE failed_message_audit (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    failed_message_id  INTEGER NOT NULL REFERENCES failed_messages (id),
    action             TEXT NOT NULL,
    actor              TEXT NOT NULL,
    at                 INTEGER NOT NULL
  );
  `,
  // Who holds a lease (`<host>:<pid>`): a worker restarting on the same host takes back the leases
  // of processes there that are gone, instead of waiting for them to run out.
  `ALTER TABLE outbox ADD COLUMN lease_owner TEXT`,
  // Support's view of a collaboration: which events it received and what became of them. The
  // index costs each handled event one more B-tree insert; without it the timeline scans the inbox.
  `
  ALTER TABLE inbox ADD COLUMN collaboration_id TEXT;
  ALTER TABLE inbox ADD COLUMN outcome TEXT;
  CREATE INDEX inbox_collaboration ON inbox (collaboration_id) WHERE collaboration_id IS NOT NULL;
  `,
  // Who did what through the support console, the API and the CLI (failed_message_audit keeps
  // each failed message's own trail; this one also holds logins, redemptions, bulk operations).
  `
  CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT,
    detail  TEXT
  );
  `,
];

/** The layout this program writes and reads: the number of migrations. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The layout a database has (SQLite's user_version): a read, no lock. */
export async function schemaVersion(sql: Sql): Promise<number> {
  return (await sql.get<{ user_version: number }>('PRAGMA user_version'))!.user_version;
}

/**
 * Brings the layout up to SCHEMA_VERSION. Checks with a read first and takes the write lock only
 * when there is something to do, so a process that starts behind another's long write does not
 * wait for it (nor fail) just to learn that nothing needs doing.
 */
export async function migrate(db: Database): Promise<void> {
  if ((await schemaVersion(db)) >= MIGRATIONS.length) return;
  await db.transaction(async (sql) => {
    const { user_version: current } = (await sql.get<{ user_version: number }>('PRAGMA user_version'))!;
    for (let version = current; version < MIGRATIONS.length; version++) {
      for (const statement of splitStatements(MIGRATIONS[version]!)) await sql.run(statement);
      await sql.run(`PRAGMA user_version = ${version + 1}`);
    }
  });
}

/** sqlite3's run() takes one statement; our migrations have no semicolons inside statements (comments aside). */
function splitStatements(script: string): string[] {
  return script
    .replace(/--[^\n]*/g, '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
}
