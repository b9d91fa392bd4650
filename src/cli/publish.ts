/** `publish <file...>`: puts event files on collab.events, as upstream systems would. */
import fs from 'node:fs';
import crypto from 'node:crypto';
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
      const config = cliConfig();
      await withPublisher(config, async (publisher) => {
        for (const file of files) {
          const body = fs.readFileSync(file);
          const { type, id } = peek(body);
          const routingKey = type ?? options.routingKey;
          if (!routingKey) throw new Error(`${file}: no "type" could be read from it; give --routing-key`);
          await publisher.publish(EVENTS_EXCHANGE, routingKey, body, {
            messageId: id ?? crypto.randomUUID(),
            contentType: 'application/cloudevents+json',
          });
          print(`published ${file} as ${routingKey}${id ? ` (id ${id})` : ''}`);
        }
      });
    });
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
