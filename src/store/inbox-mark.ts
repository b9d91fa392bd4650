/** The inbox remembers every handled event by its CloudEvents identity (source + id). */

export interface EventKey {
  source: string;
  id: string;
}

export const keyOf = (e: EventKey) => `${e.source}\u001f${e.id}`;

export interface Inbox {
  /** Which of these events were handled before (as `keyOf` keys): one query for a whole batch. */
  findHandled(events: EventKey[]): Promise<Set<string>>;
  /**
   * Marks these events handled. A mark another worker wrote meanwhile (the same event handled
   * twice at once) is a `StoreConflict`: the transaction runs again and then sees it.
   */
  markHandled(events: (EventKey & { type: string })[], now: number): Promise<void>;
}
