/**
 * One isolated world per test: its own vhost, SMTP server, store (a SQLite file, or a PostgreSQL
 * database of its own) and worker, all real.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { Worker } from '../../src/worker.js';
import { createStoreWorld, type StoreKind, type StoreWorld } from './stores.js';
import type { SupportConfig } from '../../src/http/support/config.js';
import { createVhost, type TestVhost } from './rabbit.js';
import { TestSmtpServer } from './smtp.js';
import { MessageCapture } from './capture.js';
import { killLeftoverWorkers } from './worker-process.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');

export function fixture(name: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES, name));
}

export function fixtureJson<T = Record<string, any>>(name: string): T {
  return JSON.parse(fixture(name).toString('utf8')) as T;
}

export interface Harness {
  vhost: TestVhost;
  smtp: TestSmtpServer;
  capture: MessageCapture;
  /** The store's world: its kind, settings, environment for processes, inspection queries. */
  store: StoreWorld;
  config: Config;
  dir: string;
  worker: Worker | undefined;
  /**
   * `log`: where the worker's lines go (default: stdout at TEST_LOG_LEVEL, silent); `support`: also
   * the support console and API (see test/support/support-server.ts).
   */
  startWorker(overrides?: Partial<Config>, clock?: () => Date, log?: Logger, support?: SupportConfig): Promise<Worker>;
  stopWorker(): Promise<void>;
  publish(body: Buffer | object, routingKey?: string, contentType?: string, headers?: Record<string, unknown>): Promise<void>;
  /** Straight to a queue (the default exchange), with headers: what a requeue or the broker would send. */
  publishToQueue(queue: string, body: Buffer | object, headers?: Record<string, unknown>): Promise<void>;
  /** Rows of an inspection query, `?` placeholders, for either store. */
  query<T = Record<string, unknown>>(sql: string, params?: (string | number)[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function createHarness(label: string, overrides: Partial<Config> = {}, storeKind: StoreKind = 'sqlite'): Promise<Harness> {
  const vhost = createVhost(label);
  const smtp = await new TestSmtpServer().start();
  const capture = await new MessageCapture().start(vhost.url);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `collab-${label}-`));
  const store = await createStoreWorld(storeKind, label);
  const config: Config = {
    ...loadConfig({}),
    amqpUrl: vhost.url,
    smtpUrl: smtp.url,
    ...store.settings,
    mailDir: path.join(dir, 'mail'),
    httpPort: 0,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    retryDelaysMs: [150, 300, 600],
    shutdownTimeoutMs: 5000,
    ...overrides,
  };
  // Opened again when a test closed it from the broker side (close_all_connections).
  let publisherConnection: amqp.ChannelModel | undefined;
  let publishChannel: amqp.ConfirmChannel | undefined;
  const channel = async () => {
    if (!publishChannel) {
      publisherConnection = await amqp.connect(vhost.url);
      publisherConnection.on('error', () => undefined);
      publisherConnection.on('close', () => (publishChannel = undefined));
      publishChannel = await publisherConnection.createConfirmChannel();
    }
    return publishChannel;
  };

  const harness: Harness = {
    vhost, smtp, capture, store, config, dir, worker: undefined,
    async startWorker(more = {}, clock, log, support) {
      harness.worker = await Worker.start({ config: { ...config, ...more }, log: log ?? createLogger(config.logLevel), clock, support });
      return harness.worker;
    },
    async stopWorker() {
      await harness.worker?.stop();
      harness.worker = undefined;
    },
    async publish(body, routingKey, contentType = 'application/cloudevents+json', headers) {
      const content = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
      const key = routingKey ?? (JSON.parse(content.toString('utf8')) as { type: string }).type;
      const ch = await channel();
      ch.publish('collab.events', key, content, { persistent: true, contentType, headers });
      await ch.waitForConfirms();
    },
    async publishToQueue(queue, body, headers = {}) {
      const content = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
      const ch = await channel();
      ch.sendToQueue(queue, content, { persistent: true, contentType: 'application/cloudevents+json', headers });
      await ch.waitForConfirms();
    },
    query: (sql, params = []) => store.query(sql, params),
    async close() {
      const leftovers = killLeftoverWorkers();
      await harness.stopWorker();
      await publisherConnection?.close().catch(() => undefined);
      await capture.stop().catch(() => undefined);
      await smtp.stop();
      vhost.delete();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
      if (leftovers > 0) throw new Error(`the test left ${leftovers} worker process(es) running`);
    },
  };
  return harness;
}
