/** Names for the parts of the incoming events that the rest of the worker talks about. */
import type { IncomingEvent } from './schemas.js';

export type { IncomingEvent };
export type ActivatedEvent = Extract<IncomingEvent, { type: 'collaboration.activated' }>;
export type ApprovedEvent = Extract<IncomingEvent, { type: 'collaboration.approved' }>;
export type EndedEvent = Extract<IncomingEvent, { type: 'collaboration.ended' }>;
export type ActivatedData = ActivatedEvent['data'];
export type Service = ActivatedData['service'];
