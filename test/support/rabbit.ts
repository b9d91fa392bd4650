/**
 * A RabbitMQ virtual host of its own for each test file: the contract's exchanges have fixed
 * names, so only a vhost keeps parallel test files from seeing each other's messages.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';

const BASE_URL = process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';

export interface TestVhost {
  url: string;
  name: string;
  delete(): void;
}

function rabbitmqctl(...args: string[]): void {
  execFileSync('rabbitmqctl', args, { stdio: 'pipe' });
}

export function createVhost(label: string): TestVhost {
  const name = `test-${label}-${crypto.randomBytes(4).toString('hex')}`;
  rabbitmqctl('add_vhost', name);
  const user = new URL(BASE_URL).username || 'guest';
  rabbitmqctl('set_permissions', '-p', name, user, '.*', '.*', '.*');
  const url = new URL(BASE_URL);
  url.pathname = `/${encodeURIComponent(name)}`;
  return {
    url: url.toString(),
    name,
    delete: () => rabbitmqctl('delete_vhost', name),
  };
}

/** Closes every client connection to the vhost from the broker's side, as a broker restart would. */
export function closeConnections(vhost: string): void {
  rabbitmqctl('close_all_connections', '-p', vhost, 'closed by test');
}

/** Deletes a queue from the broker's side, as an operator (or a policy) would. */
export function deleteQueue(vhost: string, queue: string): void {
  rabbitmqctl('delete_queue', '-p', vhost, queue);
}

/** Sets what the tests' user may configure, write and read on the vhost (regular expressions). */
export function setPermissions(vhost: string, configure: string, write = '.*', read = '.*'): void {
  const user = new URL(BASE_URL).username || 'guest';
  rabbitmqctl('set_permissions', '-p', vhost, user, configure, write, read);
}
