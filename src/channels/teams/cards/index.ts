/**
 * Which card shows which reply. Plain text, errors, exports and the approvals, audit and roles
 * lists have no card: the edge sends them as markdown (render/markdown.ts), which shows long lists
 * and preformatted lines better than a card would, and searches and copies as text.
 */
import type { Reply } from '../../../core/replies';
import { unreachable } from '../../../unreachable';
import type { AdaptiveCard } from './render';
import { alertCard } from './views/alert';
import { approvalCard } from './views/approval';
import { createFormCard } from './views/createForm';
import { editFormCard } from './views/editForm';
import { helpCard } from './views/help';
import { installFormCard } from './views/installForm';
import { progressCard } from './views/progress';
import { retirementCard } from './views/retirement';
import { retirementNoticeCard } from './views/retirementNotice';
import { runtimeDetailCard } from './views/runtimeDetail';
import { runtimeListCard } from './views/runtimeList';
import { summaryCard } from './views/summary';
import { versionCheckCard, versionsCard } from './views/versions';
import { welcomeCard } from './views/welcome';

export function cardFor(reply: Reply): AdaptiveCard | undefined {
  switch (reply.kind) {
    case 'text':
    case 'error':
    case 'retirementExport':
    case 'approvals':
    case 'audit':
    case 'roles':
      return undefined;
    case 'help':
      return helpCard(reply);
    case 'welcome':
      return welcomeCard(reply);
    case 'runtimeList':
      return runtimeListCard(reply);
    case 'runtimeDetail':
      return runtimeDetailCard(reply);
    case 'summary':
      return summaryCard(reply);
    case 'versions':
      return versionsCard(reply);
    case 'versionCheck':
      return versionCheckCard(reply);
    case 'operation':
      return progressCard(reply);
    case 'alert':
      return alertCard(reply);
    case 'approval':
      return approvalCard(reply);
    case 'createForm':
      return createFormCard(reply.form);
    case 'installForm':
      return installFormCard(reply.form);
    case 'editForm':
      return editFormCard(reply.form);
    case 'retirement':
      return retirementCard(reply);
    case 'retirementNotice':
      return retirementNoticeCard(reply);
    default:
      return unreachable(reply, 'reply kind');
  }
}
