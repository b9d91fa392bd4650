/** `publish <file...>`: puts event files on collab.events, as upstream systems would. */
import fs from 'node:fs';
import crypto from 'node:crypto';
import amqp from 'amqplib';
import type { Command } from 'commander';
import { EVENTS_EXCHANGE } from '../broker/topology.js';
import { cliConfig, print, withPublisher } from './context.js';

export function registerPublish(program: Command): void {
  program
    .command('publish')
    .description(`publish CloudEvent JSON files to the ${EVENTS_EXCHANGE} exchange (routing key = the event's type)`)
    .argument('<files...>', 'files holding one CloudEvent each')
    .option('--routing-key <key>', 'routing key to use when a file has no readable type (e.g. broken JSON)')
    .action(async (files: string[], options: { routingKey?: string }) => {
      // Every file is read and given its routing key before anything is published: a missing
      // or unreadable file stops the command with nothing sent, not halfway through.
      const messages = files.map((file) => {
        let body: Buffer;
        try {
          body = fs.readFileSync(file);
        } catch (err) {
          throw new Error(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}; nothing was published`);
        }
        const { type, id } = peek(body);
        const routingKey = type ?? options.routingKey;
        if (!routingKey) throw new Error(`${file}: no "type" could be read from it; give --routing-key; nothing was published`);
        return { file, body, routingKey, id };
      });
      const config = cliConfig();
      await assertExchangeExists(config.amqpUrl, EVENTS_EXCHANGE);
      let published = 0;
      try {
        await withPublisher(config, async (publisher) => {
          for (const { file, body, routingKey, id } of messages) {
            await publisher.publish(EVENTS_EXCHANGE, routingKey, body, {
              messageId: id ?? crypto.randomUUID(),
              contentType: 'application/cloudevents+json',
            });
            published++;
            print(`published ${file} as ${routingKey}${id ? ` (id ${id})` : ''}`);
          }
        });
      } catch (err) {
        const rest = messages.slice(published).map((m) => m.file);
        throw new Error(`${(err as Error).message}; published ${published} of ${messages.length}, not published: ${rest.join(', ')}`);
      }
    });
}

/**
 * Publishing to an exchange that does not exist makes the broker close the channel (404), which
 * amqplib reports with a stack trace. The worker declares the exchange when it starts: say so.
 */
async function assertExchangeExists(amqpUrl: string, exchange: string): Promise<void> {
  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined); // the 404 arrives as the rejection below
    await channel.checkExchange(exchange);
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
    const vhost = decodeURIComponent(new URL(amqpUrl).pathname.slice(1)) || '/';
    throw new Error(
      `the exchange ${exchange} does not exist on virtual host "${vhost}": start the worker once (it declares its exchanges and queues), ` +
        `or declare it yourself (topic, durable); nothing was published`,
    );
  } finally {
    await connection.close().catch(() => undefined);
  }
}

function peek(body: Buffer): { type?: string; id?: string } {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { type?: unknown; id?: unknown };
    return {
      type: typeof parsed.type === 'string' ? parsed.type : undefined,
      id: typeof parsed.id === 'string' ? parsed.id : undefined,
    };
  } catch {
    return {};
  }
}
