/**
 * Another worker changed what this transaction read or wrote, at the same moment (PostgreSQL:
 * a key it inserted meanwhile, a deadlock, a serialization failure). Running the transaction
 * again sees their change, so `Store.transaction` does that by itself; only a conflict that
 * outlasts its tries reaches the caller.
 */
export class StoreConflict extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreConflict';
  }
}
