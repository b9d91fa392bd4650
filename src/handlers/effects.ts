/**
 * Writes a handler's effects to the outbox, inside the handler's transaction. Ids are derived
 * from the cause (the event being handled, or the reminder), so redoing the same work writes
 * the same rows, and the outbox keeps the first.
 */
import type { TransactionSql } from '../store/database.js';
import { addToOutbox } from '../store/outbox.js';
import { deterministicId } from '../messages/ids.js';
import { envelope } from '../messages/cloudevent.js';
import { assertValidOutgoing } from '../messages/schemas.js';
import type { EmailModel } from '../mail/email-model.js';
import { COMMANDS_EXCHANGE, EVENTS_EXCHANGE } from '../broker/topology.js';

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
}

/** Every command and event names its collaboration; the rest is per type (see schemas/). */
export type MessageData = { collaborationId: string } & Record<string, unknown>;

export class Effects {
  constructor(
    private readonly sql: TransactionSql,
    private readonly now: Date,
    private readonly cause: Cause,
  ) {}

  async email(model: EmailModel, activation?: EmailPayload['activation']): Promise<void> {
    const id = deterministicId('email', model.kind, model.collaborationId, model.to.email, this.cause.source, this.cause.id);
    const payload: EmailPayload = activation ? { model, activation } : { model };
    await addToOutbox(this.sql, { id, channel: 'email', topic: model.kind, collaborationId: model.collaborationId, payload }, this.now.getTime());
  }

  command(type: string, data: MessageData): Promise<void> {
    return this.publish(COMMANDS_EXCHANGE, type, data, true);
  }

  event(type: string, data: MessageData): Promise<void> {
    // Events are announcements: nobody listening is not an error.
    return this.publish(EVENTS_EXCHANGE, type, data, false);
  }

  private async publish(exchange: string, type: string, data: MessageData, mandatory: boolean): Promise<void> {
    assertValidOutgoing(type, data);
    const id = deterministicId(type, data.collaborationId, this.cause.source, this.cause.id);
    const payload: PublishPayload = { exchange, routingKey: type, mandatory, message: envelope(type, id, data, this.now) };
    await addToOutbox(this.sql, { id, channel: 'amqp', topic: type, collaborationId: data.collaborationId, payload }, this.now.getTime());
  }
}
