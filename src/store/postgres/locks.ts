/**
 * Advisory lock keys (pg_advisory_lock's bigint), one per job that runs in one instance at a
 * time. They are per database, so a test database of its own never meets another's.
 */
const BASE = 0x636f6c6c_00; // "coll"

export const LOCKS = {
  /** Schema migrations: ten instances starting at once migrate once. */
  migrate: BASE + 1,
  /** Retention: one instance prunes at a time. */
  retention: BASE + 2,
} as const;
