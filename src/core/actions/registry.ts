/** The one list of card actions, by verb. */
import { approvalApproveAction } from './approvalApprove';
import { approvalCancelAction } from './approvalCancel';
import { approvalRejectAction } from './approvalReject';
import { approvalViewAction } from './approvalView';
import { listPageAction } from './listPage';
import { openCreateAction } from './openCreate';
import { openEditAction } from './openEdit';
import { openInstallAction } from './openInstall';
import { refreshOperationAction } from './refreshOperation';
import { refreshSummaryAction } from './refreshSummary';
import { resetAction } from './reset';
import { retirementPageAction } from './retirementPage';
import { retryAction } from './retry';
import { showHelpAction } from './showHelp';
import { stopAction } from './stop';
import { submitCreateAction } from './submitCreate';
import { submitEditAction } from './submitEdit';
import { submitInstallAction } from './submitInstall';
import { switchCreateTypeAction } from './switchCreateType';
import type { CardAction } from './types';
import { upgradeAction } from './upgrade';
import { viewRuntimeAction } from './viewRuntime';

export const ACTIONS: readonly CardAction[] = [
  listPageAction,
  viewRuntimeAction,
  refreshSummaryAction,
  showHelpAction,
  resetAction,
  stopAction,
  upgradeAction,
  openInstallAction,
  submitInstallAction,
  openEditAction,
  submitEditAction,
  openCreateAction,
  switchCreateTypeAction,
  submitCreateAction,
  retryAction,
  refreshOperationAction,
  approvalViewAction,
  approvalApproveAction,
  approvalRejectAction,
  approvalCancelAction,
  retirementPageAction,
];
