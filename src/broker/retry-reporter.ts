/**
 * Reports connection attempts that fail while the worker keeps trying: the first failure and
 * every change of reason at warn, the same reason again at most once per `everyMs` (with the
 * count of attempts since), each attempt in between at debug. A broker down for an hour is a
 * line a minute, not one every five seconds.
 */
import type { Logger } from '../logger.js';
import type { AmqpTarget } from './connect-failure.js';

export class RetryReporter {
  private failures = 0;
  private since = 0;
  private lastProblem: string | undefined;
  private lastWarnAt = 0;
  private unreported = 0;

  constructor(
    private readonly log: Logger,
    private readonly target: AmqpTarget,
    private readonly now: () => number = Date.now,
    private readonly everyMs = 60_000,
  ) {}

  /** One failed attempt; `problem` as classifyConnectFailure words it. */
  failed(problem: string): void {
    const t = this.now();
    if (this.failures === 0) this.since = t;
    this.failures++;
    const fields = { broker: this.target.url, host: this.target.host, vhost: this.target.vhost, problem, attempts: this.failures, failingForS: Math.round((t - this.since) / 1000) };
    if (problem !== this.lastProblem || t - this.lastWarnAt >= this.everyMs) {
      this.log.warn({ ...fields, attemptsSinceLastLine: this.unreported + 1 }, 'cannot connect to the broker; retrying');
      this.lastProblem = problem;
      this.lastWarnAt = t;
      this.unreported = 0;
    } else {
      this.unreported++;
      this.log.debug(fields, 'cannot connect to the broker; retrying');
    }
  }

  /** Connected: says after how long, if it took more than one attempt, and starts over. */
  connected(): void {
    if (this.failures > 0) {
      this.log.info({ broker: this.target.url, failedAttempts: this.failures, afterS: Math.round((this.now() - this.since) / 1000) }, 'connected to the broker after failed attempts');
    }
    this.failures = 0;
    this.unreported = 0;
    this.lastProblem = undefined;
  }
}
