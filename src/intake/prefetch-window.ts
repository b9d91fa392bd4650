/**
 * How many unacked deliveries the events consumer asks RabbitMQ for (its prefetch), chosen so
 * that the bytes in flight stay within a budget. RabbitMQ counts prefetch in messages only (it
 * does not implement a byte limit), so the window is derived from the sizes the worker has seen:
 *
 * - slow start: after every (re)subscribe it starts small and doubles each time a whole window's
 *   worth of messages has been committed (as TCP's congestion window grows by what is
 *   acknowledged, RFC 5681 section 3.1), so a worker killed right after it connects has held only
 *   a few messages, and a crash loop does not push the delivery count of a full prefetch of sound
 *   messages towards the delivery limit. Doubling after any commit, a worker that committed one
 *   message before each kill held 16 more each time: the same ones, at the head of the queue;
 * - byte budget: never more than `budgetBytes / largest recent message`, shrinking at once when
 *   large messages arrive and growing back (doubling) when they are gone.
 *
 * Pure logic: the consumer applies the numbers (src/intake/subscription.ts).
 */

export interface PrefetchWindowOptions {
  /** Largest prefetch, in messages (two batches' worth: one committing, the next arriving). */
  max: number;
  /** Prefetch right after subscribing, in messages. */
  initial: number;
  /** Bytes of message bodies the worker aims to hold unsettled at most. */
  budgetBytes: number;
  /** How many recent batches' largest message the size estimate remembers. */
  memory?: number;
}

export class PrefetchWindow {
  private size: number;
  /**
   * Messages committed since the window last changed: it doubles once they fill it. At its
   * ceiling it keeps counting, so a ceiling that rises (smaller messages) is reached at once.
   */
  private committedSinceChange = 0;
  /** The largest message of each of the last few batches, oldest first. */
  private readonly recentLargest: number[] = [];

  constructor(private readonly options: PrefetchWindowOptions) {
    if (options.max < 1 || options.initial < 1 || options.budgetBytes < 1) throw new RangeError('prefetch window limits must be ≥ 1');
    this.size = Math.min(options.initial, options.max);
  }

  /** The prefetch to use now, in messages. */
  get current(): number {
    return this.size;
  }

  /** After a (re)subscribe: start small again (the size estimate is kept). Returns the prefetch. */
  restart(): number {
    this.size = Math.min(this.options.initial, this.ceiling());
    this.committedSinceChange = 0;
    return this.size;
  }

  /**
   * A batch was handled, before it is acked (nothing more arrives until then): shrink at once to
   * what the byte budget allows, or grow (double) towards it once the messages committed since
   * the last change fill the window. `largestBytes` is the batch's largest message body;
   * `committedMessages` how many messages its commit settled (0: the database failed). Returns
   * the new prefetch when it changed, else undefined.
   */
  afterBatch(largestBytes: number, committedMessages: number): number | undefined {
    this.recentLargest.push(largestBytes);
    if (this.recentLargest.length > (this.options.memory ?? 4)) this.recentLargest.shift();
    this.committedSinceChange += committedMessages;
    const ceiling = this.ceiling();
    const next = this.size > ceiling ? ceiling : this.committedSinceChange >= this.size ? Math.min(ceiling, this.size * 2) : this.size;
    if (next === this.size) return undefined;
    this.size = next;
    this.committedSinceChange = 0;
    return next;
  }

  /** Largest prefetch the byte budget allows for the largest message seen lately. */
  private ceiling(): number {
    const largest = Math.max(1, ...this.recentLargest);
    return Math.max(1, Math.min(this.options.max, Math.floor(this.options.budgetBytes / largest)));
  }
}
