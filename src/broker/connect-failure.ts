/**
 * Why a connection to RabbitMQ could not be made, and whether waiting can help. A refusal of
 * the credentials or the virtual host, or a URL amqplib cannot use, stays the same however
 * often the worker asks again: those stop the start. A broker that is down, restarting or not
 * reachable yet (connection refused, timeout, DNS) may come back: those are retried.
 */
import { maskUrl } from '../support/masked-url.js';

/** Where the worker connects, fit for logs: the password masked. */
export interface AmqpTarget {
  /** The URL with its password replaced by `***`. */
  url: string;
  host: string;
  port: number;
  /** As RabbitMQ sees it: `/` when the URL names none. */
  vhost: string;
  user: string;
}

export function amqpTarget(url: string): AmqpTarget {
  const parsed = new URL(url);
  const amqps = parsed.protocol === 'amqps:';
  return {
    url: maskUrl(url),
    host: parsed.hostname,
    port: Number(parsed.port) || (amqps ? 5671 : 5672),
    // amqplib: everything after the first slash, unescaped; nothing means the default vhost `/`
    vhost: decodeURIComponent(parsed.pathname.slice(1)) || '/',
    user: decodeURIComponent(parsed.username) || 'guest',
  };
}

export type ConnectFailure = { healable: boolean; problem: string };

/**
 * amqplib's errors at connection time, in words an operator can act on. The texts matched are
 * amqplib 2's (lib/connection.js, lib/connect.js): RabbitMQ answers a bad login with
 * connection.close 403 ACCESS_REFUSED during the handshake, and an unknown or forbidden virtual
 * host with connection.close 530 NOT_ALLOWED in place of connection.open-ok, which amqplib reports
 * only as "Expected ConnectionOpenOk; got <ConnectionClose channel:0>".
 */
export function classifyConnectFailure(err: Error, target: AmqpTarget): ConnectFailure {
  const message = err.message ?? String(err);
  const code = (err as NodeJS.ErrnoException).code;
  if (/ACCESS.REFUSED|\b403\b/.test(message)) {
    return { healable: false, problem: `the broker refused the login of user "${target.user}" (403 ACCESS_REFUSED: wrong user name or password)` };
  }
  if (/^Expected ConnectionOpenOk; got <ConnectionClose/.test(message)) {
    return {
      healable: false,
      problem: `the broker refused the virtual host "${target.vhost}" (530 NOT_ALLOWED: it does not exist, or user "${target.user}" has no permission on it)`,
    };
  }
  if (/^Expected amqp: or amqps: as the protocol/.test(message) || /^SASL mechanism/.test(message)) {
    return { healable: false, problem: message };
  }
  if (code === 'ECONNREFUSED') return { healable: true, problem: `connection refused: nothing listens on ${target.host}:${target.port}` };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { healable: true, problem: `the host name ${target.host} is not found (${code})` };
  if (code === 'ETIMEDOUT' || /ETIMEDOUT/.test(message)) return { healable: true, problem: `no answer from ${target.host}:${target.port} (timed out)` };
  return { healable: true, problem: message };
}
