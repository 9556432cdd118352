/** Who may vote on a request: the rule the decisions enforce and the card's buttons show. */
import type { PolicyStore } from '../policy/policyStore';
import type { ChatUser } from '../request';
import type { ApprovalRecord } from './model';
import { sameUser } from './who';

/** Why this user may not vote on this request, or undefined when they may. */
export async function voteDenial(
  record: ApprovalRecord,
  user: ChatUser,
  policy: PolicyStore,
): Promise<string | undefined> {
  if (record.status !== 'pending') return `This request is already ${record.status}; votes are closed.`;
  if (sameUser(record.requester.objectId, user.id))
    return 'You cannot approve or reject your own request; another approver has to.';
  if (!(await policy.hasRole(user.id, record.approverRole)))
    return `Only people with the ${record.approverRole} role can decide this request.`;
  if (record.votes.some((v) => sameUser(v.objectId, user.id)))
    return 'You already approved this request; one vote per approver.';
  return undefined;
}
