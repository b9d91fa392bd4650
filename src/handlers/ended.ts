/**
 * collaboration.ended: the collaboration ends and its reminders stop; an active one gets the
 * ended-counterpart commands; customer contact and agency user are told.
 */
import type { EndedEvent } from '../messages/incoming.js';
import type { HandlerContext } from './context.js';
import { Effects } from './effects.js';
import { done, retry, skip, type Outcome } from './outcome.js';
import { findCollaboration, transition } from '../store/collaborations.js';
import { agencyEmail, customerEmail } from '../domain/email-models.js';
import { commandsOnEnd } from '../domain/sync-commands.js';

export async function handleEnded(event: EndedEvent, ctx: HandlerContext): Promise<Outcome> {
  const { collaborationId, endedBy, reason } = event.data;
  const collaboration = await findCollaboration(ctx.sql, collaborationId);
  // Like an approval, an end can overtake the activation it ends.
  if (!collaboration) return retry(`collaboration ${collaborationId} is not known yet (end before activation?)`);
  if (collaboration.state === 'ended') return skip(`collaboration ${collaborationId} has already ended`);

  const wasActive = collaboration.state === 'active';
  if (!(await transition(ctx.sql, collaborationId, ['pending', 'active', 'expired'], 'ended', ctx.now.getTime()))) {
    return retry(`collaboration ${collaborationId} changed while being ended`);
  }
  const a = collaboration.activation;
  const effects = new Effects(ctx.sql, ctx.now, event);
  if (wasActive) {
    for (const command of commandsOnEnd(a)) await effects.command(command.type, command.data);
  }
  const extra = { endedBy, ...(reason ? { endReason: reason } : {}) };
  await effects.email(customerEmail('collaboration-ended', a, extra));
  await effects.email(agencyEmail('collaboration-ended', a, extra));
  return done;
}
