/**
 * Collects a handler's effects as outbox rows; whoever commits the handler's state writes them
 * in the same transaction. Ids are derived from the cause (the event being handled, or the
 * reminder), so redoing the same work gives the same rows, and the outbox keeps the first.
 */
import type { OutboxEntry } from '../store/outbox.js';
import { deterministicId } from '../messages/ids.js';
import { envelope } from '../messages/cloudevent.js';
import { assertValidOutgoing } from '../messages/schemas.js';
import type { EmailModel } from '../mail/email-model.js';
import { COMMANDS_EXCHANGE, EVENTS_EXCHANGE } from '../broker/topology.js';
import type { TraceExtension } from '../tracing/trace-context.js';

export interface Cause {
  source: string;
  id: string;
}

/** What the dispatcher needs to publish a message. */
export interface PublishPayload {
  exchange: string;
  routingKey: string;
  /** Commands must reach a queue: an unroutable command is a failed delivery, not a silent loss. */
  mandatory: boolean;
  message: unknown;
}

/** What the dispatcher needs to send an email; the activation link is derived at send time. */
export interface EmailPayload {
  model: EmailModel;
  activation?: { adminId: string; nonce: string };
  /** The cause's trace; the email carries it as headers. (Rows written before it existed have none.) */
  trace?: TraceExtension;
}

/** Every command and event names its collaboration; the rest is per type (see schemas/). */
export type MessageData = { collaborationId: string } & Record<string, unknown>;

export class Effects {
  /** The rows, in the order the effects were asked for. */
  readonly entries: OutboxEntry[] = [];

  /** `trace`: the context of the work that causes these effects (an event's handling, a reminder pass). */
  constructor(
    private readonly now: Date,
    private readonly cause: Cause,
    private readonly trace?: TraceExtension,
  ) {}

  email(model: EmailModel, activation?: EmailPayload['activation']): void {
    const id = deterministicId('email', model.kind, model.collaborationId, model.to.email, this.cause.source, this.cause.id);
    const payload: EmailPayload = { model, ...(activation ? { activation } : {}), ...(this.trace ? { trace: this.trace } : {}) };
    this.entries.push({ id, channel: 'email', topic: model.kind, collaborationId: model.collaborationId, payload });
  }

  command(type: string, data: MessageData): void {
    this.publish(COMMANDS_EXCHANGE, type, data, true);
  }

  event(type: string, data: MessageData): void {
    // Events are announcements: nobody listening is not an error.
    this.publish(EVENTS_EXCHANGE, type, data, false);
  }

  private publish(exchange: string, type: string, data: MessageData, mandatory: boolean): void {
    assertValidOutgoing(type, data);
    const id = deterministicId(type, data.collaborationId, this.cause.source, this.cause.id);
    const payload: PublishPayload = { exchange, routingKey: type, mandatory, message: envelope(type, id, data, this.now, this.trace) };
    this.entries.push({ id, channel: 'amqp', topic: type, collaborationId: data.collaborationId, payload });
  }
}
