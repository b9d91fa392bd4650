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
  /** Messages received and waiting for `hold`. */
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
          if (this.hold) {
            this.held++;
            await this.hold;
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
