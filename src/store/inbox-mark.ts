/** The inbox remembers every handled event by its CloudEvents identity (source + id). */

export interface EventKey {
  source: string;
  id: string;
}

export const keyOf = (e: EventKey) => `${e.source}\u001f${e.id}`;

/** A handled event, with its collaboration and what became of it (`handled`, `skipped: <reason>`), for support's timeline. */
export interface HandledEvent extends EventKey {
  type: string;
  collaborationId?: string | null;
  outcome?: string | null;
}

export interface ReceivedEvent {
  source: string;
  id: string;
  type: string;
  handledAt: number;
  outcome: string | null;
}

export interface InboxReads {
  /** Events handled for this collaboration, oldest first (inbox marks are pruned after RETENTION_DAYS). */
  receivedEvents(collaborationId: string): Promise<ReceivedEvent[]>;
}

export interface Inbox extends InboxReads {
  /** Which of these events were handled before (as `keyOf` keys): one query for a whole batch. */
  findHandled(events: EventKey[]): Promise<Set<string>>;
  /**
   * Marks these events handled. A mark another worker wrote meanwhile (the same event handled
   * twice at once) is a `StoreConflict`: the transaction runs again and then sees it.
   */
  markHandled(events: HandledEvent[], now: number): Promise<void>;
}
