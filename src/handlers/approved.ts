/**
 * collaboration.approved: the collaboration becomes active, its reminders stop, the service's
 * sync commands go out and the agency user hears about it. An approval can overtake its
 * activation on the way here, so an unknown collaboration is retried later, not dropped.
 */
import type { ApprovedEvent } from '../messages/incoming.js';
import type { HandlerContext } from './context.js';
import { done, retry, skip, type Outcome } from './outcome.js';
import { agencyEmail } from '../domain/email-models.js';
import { commandsOnApproval } from '../domain/sync-commands.js';

export function handleApproved(event: ApprovedEvent, ctx: HandlerContext): Outcome {
  const { collaborationId, approvedBy } = event.data;
  const { state } = ctx;
  const collaboration = state.collaboration(collaborationId);
  if (!collaboration) return retry(`collaboration ${collaborationId} is not known yet (approval before activation?)`);
  if (collaboration.state === 'active') return skip(`collaboration ${collaborationId} is already active`);
  if (collaboration.state === 'ended') return skip(`collaboration ${collaborationId} has ended; approval ignored`);
  if (collaboration.state === 'expired') {
    // The customer did approve: honour it, but leave a trace for whoever wonders why.
    ctx.log.info({ collaborationId, event: 'late-approval' }, 'approval of an expired invitation activates the collaboration');
  }

  state.saveCollaboration({ ...collaboration, state: 'active', approvedAt: ctx.now.getTime(), nextDueAt: null });
  const a = collaboration.activation;
  for (const command of commandsOnApproval(a)) state.effects.command(command.type, command.data);
  state.effects.email(agencyEmail('collaboration-approved', a, { approvedByName: approvedBy.name }));
  return done;
}
