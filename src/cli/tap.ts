/**
 * `tap`: prints what goes over the contract's exchanges (the worker's commands and events, and
 * the events it receives) as it happens, on a plain RabbitMQ: no management plugin, no queue
 * to set up. It listens with a queue of its own that the broker deletes when it stops.
 */
import amqp from 'amqplib';
import type { Command } from 'commander';
import { COMMANDS_EXCHANGE, EVENTS_EXCHANGE } from '../broker/topology.js';
import { cliConfig, print } from './context.js';

export function registerTap(program: Command): void {
  program
    .command('tap')
    .description(`print every message published to ${COMMANDS_EXCHANGE} and ${EVENTS_EXCHANGE} from now on, one line each, until Ctrl-C`)
    .option('--count <n>', 'stop after this many messages')
    .option('--commands', `only ${COMMANDS_EXCHANGE}`)
    .action(async (o: { count?: string; commands?: boolean }) => {
      const limit = o.count === undefined ? Infinity : Number(o.count);
      if (!Number.isInteger(limit) || limit <= 0) throw new Error(`--count "${o.count}" must be a whole number above 0`);
      const connection = await amqp.connect(cliConfig().amqpUrl);
      const channel = await connection.createChannel();
      // Declared as the worker declares them (idempotent), so tapping before the worker's first start works.
      const exchanges = o.commands ? [COMMANDS_EXCHANGE] : [COMMANDS_EXCHANGE, EVENTS_EXCHANGE];
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
      for (const exchange of exchanges) {
        await channel.assertExchange(exchange, 'topic', { durable: true });
        await channel.bindQueue(queue, exchange, '#');
      }
      let seen = 0;
      const done = new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        void channel.consume(queue, (msg) => {
          if (!msg || seen >= limit) return;
          seen++;
          print(`${msg.fields.exchange}  ${msg.fields.routingKey}  ${msg.content.toString('utf8').replace(/\s*\n\s*/g, ' ')}`);
          if (seen >= limit) resolve();
        }, { noAck: true });
      });
      process.stderr.write(`tapping ${exchanges.join(' and ')} (Ctrl-C to stop)\n`);
      await done;
      await connection.close().catch(() => undefined);
    });
}
