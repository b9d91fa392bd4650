/**
 * collaboration.ended: the collaboration ends and its reminders stop; an active one gets the
 * ended-counterpart commands; customer contact and agency user are told.
 */
import type { EndedEvent } from '../messages/incoming.js';
import type { HandlerContext } from './context.js';
import { done, retry, skip, type Outcome } from './outcome.js';
import { agencyEmail, customerEmail } from '../domain/email-models.js';
import { commandsOnEnd } from '../domain/sync-commands.js';

export function handleEnded(event: EndedEvent, ctx: HandlerContext): Outcome {
  const { collaborationId, endedBy, reason } = event.data;
  const { state } = ctx;
  const collaboration = state.collaboration(collaborationId);
  // Like an approval, an end can overtake the activation it ends.
  if (!collaboration) return retry(`collaboration ${collaborationId} is not known yet (end before activation?)`);
  if (collaboration.state === 'ended') return skip(`collaboration ${collaborationId} has already ended`);

  state.saveCollaboration({ ...collaboration, state: 'ended', endedAt: ctx.now.getTime(), nextDueAt: null });
  const a = collaboration.activation;
  if (collaboration.state === 'active') {
    for (const command of commandsOnEnd(a)) state.effects.command(command.type, command.data);
  }
  const extra = { endedBy, ...(reason ? { endReason: reason } : {}) };
  state.effects.email(customerEmail('collaboration-ended', a, extra));
  state.effects.email(agencyEmail('collaboration-ended', a, extra));
  return done;
}
