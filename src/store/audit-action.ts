/** The audit log: who did what, through the console, the API or the CLI. Times in ms since the epoch. */

export interface AuditAction {
  /** `user:<name>`, `client:<name>` or `cli:<name>`. */
  actor: string;
  /** e.g. `login`, `requeue`, `archive`, `activation redeemed`. */
  action: string;
  /** What it was done to: `failed:12`, `group:ab12cd34ef`, `admin:<id>`, … */
  target?: string | null;
  /** Free text: counts, the operation id, why it was refused. */
  detail?: string | null;
}

export interface AuditLogEntry extends AuditAction {
  id: number;
  at: number;
}

export interface AuditLogReads {
  /** Newest first; `beforeId` pages backwards (exclusive). */
  list(beforeId: number | undefined, limit: number): Promise<AuditLogEntry[]>;
}

export interface AuditLog extends AuditLogReads {
  add(action: AuditAction, now: number): Promise<void>;
}
