/** A real SMTP server in the test process, keeping every message it accepts, parsed. */
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { waitFor } from './wait.js';

export interface ReceivedMail {
  raw: string;
  parsed: ParsedMail;
  envelopeTo: string[];
  /** The client asked for SMTPUTF8 (RFC 6531) in MAIL FROM. */
  smtpUtf8: boolean;
}

export class TestSmtpServer {
  readonly received: ReceivedMail[] = [];
  /** When set, the server refuses every message with this SMTP reply (e.g. `451` or `550`). */
  refuseWith: { code: number; message: string } | undefined;
  /** When set, each message is answered only once this settles (an email held in flight). */
  hold: Promise<void> | undefined;
  /** When set, messages to these addresses are answered only once `until` settles. */
  holdFor: { addresses: string[]; until: Promise<void> } | undefined;
  /** Messages received and waiting for `hold` or `holdFor`. */
  held = 0;
  private server: SMTPServer;
  port = 0;

  constructor(options: Partial<SMTPServerOptions> = {}) {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      ...options,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', async () => {
          const holdFor = this.holdFor;
          const hold = this.hold ?? (holdFor && session.envelope.rcptTo.some((r) => holdFor.addresses.includes(r.address)) ? holdFor.until : undefined);
          if (hold) {
            this.held++;
            await hold;
            this.held--;
          }
          if (this.refuseWith) {
            const err = Object.assign(new Error(this.refuseWith.message), { responseCode: this.refuseWith.code });
            return callback(err);
          }
          const raw = Buffer.concat(chunks).toString('utf8');
          simpleParser(raw).then((parsed) => {
            this.received.push({ raw, parsed, envelopeTo: session.envelope.rcptTo.map((r) => r.address), smtpUtf8: !!session.envelope.smtpUtf8 });
            callback();
          }, callback);
        });
      },
    });
  }

  async start(port = 0): Promise<this> {
    // A client that is killed mid-session resets its connection: expected in the crash tests.
    this.server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  to(address: string): ReceivedMail[] {
    return this.received.filter((m) => m.envelopeTo.includes(address));
  }

  waitForCount(n: number, timeoutMs?: number): Promise<ReceivedMail[]> {
    return waitFor(() => this.received.length >= n && this.received, `${n} emails (have ${this.received.length})`, timeoutMs);
  }
}

/**
 * A real SMTP server that keeps only who each message went to and its Message-ID: for tests
 * with thousands of emails, where parsing each one would cost the machine more than the worker.
 */
export class CountingSmtpServer {
  readonly received: { to: string[]; messageId: string }[] = [];
  private server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData: (stream, session, callback) => {
      let head = '';
      stream.on('data', (c: Buffer) => {
        if (head.length < 4096) head += c.toString('latin1');
      });
      stream.on('end', () => {
        const messageId = /^Message-ID:\s*(<[^>]+>)/im.exec(head)?.[1] ?? '';
        this.received.push({ to: session.envelope.rcptTo.map((r) => r.address), messageId });
        callback();
      });
    },
  });
  port = 0;

  async start(): Promise<this> {
    this.server.on('error', () => undefined); // a killed worker resets its connections
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  waitForCount(n: number, timeoutMs?: number): Promise<unknown> {
    return waitFor(() => this.received.length >= n, `${n} emails (have ${this.received.length})`, timeoutMs);
  }
}
