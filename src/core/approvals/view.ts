/** The approval card's view model: the request as this viewer may see and act on it. */
import type { PeopleDirectory } from '../people';
import type { PolicyStore } from '../policy/policyStore';
import type { Reply } from '../replies';
import type { ChatUser } from '../request';
import { text } from '../text';
import { voteDenial } from './eligibility';
import type { ApprovalRecord, ApprovalViewer } from './model';
import { sameUser } from './who';

export class ApprovalView {
  constructor(
    private readonly policy: PolicyStore,
    private readonly people: PeopleDirectory,
  ) {}

  /** An empty viewer id renders the card everyone sees. */
  async render(record: ApprovalRecord, user: ChatUser, notice?: string): Promise<Reply> {
    const approvers = (await this.policy.people(record.approverRole)).filter(
      (p) => !sameUser(p.objectId, record.requester.objectId),
    );
    const viewer: ApprovalViewer = user.id
      ? {
          objectId: user.id,
          canVote: !(await voteDenial(record, user, this.policy)),
          canCancel: record.status === 'pending' && sameUser(record.requester.objectId, user.id),
        }
      : { objectId: '', canVote: record.status === 'pending', canCancel: record.status === 'pending' };
    const { sealed: _sealed, ...shown } = record;
    const personalViewUserIds =
      record.status === 'pending'
        ? await this.people.channelIds([record.requester.objectId, ...approvers.map((p) => p.objectId)])
        : [];
    return {
      kind: 'approval',
      approval: shown,
      viewer,
      approvers,
      personalViewUserIds,
      ...(notice ? { notice: text(notice) } : {}),
    };
  }
}
