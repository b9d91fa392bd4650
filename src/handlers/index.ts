/** One handler per incoming event type. */
import type { IncomingEvent } from '../messages/incoming.js';
import type { HandlerContext } from './context.js';
import type { Outcome } from './outcome.js';
import { handleActivated } from './activated.js';
import { handleApproved } from './approved.js';
import { handleEnded } from './ended.js';

export function handle(event: IncomingEvent, ctx: HandlerContext): Outcome {
  switch (event.type) {
    case 'collaboration.activated':
      return handleActivated(event, ctx);
    case 'collaboration.approved':
      return handleApproved(event, ctx);
    case 'collaboration.ended':
      return handleEnded(event, ctx);
  }
}
