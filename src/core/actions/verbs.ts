/**
 * Action.Execute verbs of every card. Ids and arguments travel in the action's data, never in the
 * verb. Each verb has one handler file in src/core/actions/.
 */
export const Verb = {
  ListPage: 'list.page',
  ViewRuntime: 'runtime.view',
  RefreshSummary: 'summary.refresh',
  ShowHelp: 'help.show',
  Reset: 'runtime.reset',
  Stop: 'runtime.stop',
  Upgrade: 'runtime.upgrade',
  OpenInstall: 'install.open',
  SubmitInstall: 'install.submit',
  OpenEdit: 'edit.open',
  SubmitEdit: 'edit.submit',
  OpenCreate: 'create.open',
  SwitchCreateType: 'create.switchType',
  SubmitCreate: 'create.submit',
  Retry: 'operation.retry',
  RefreshOperation: 'operation.refresh',
  ViewApproval: 'approval.view',
  Approve: 'approval.approve',
  Reject: 'approval.reject',
  CancelApproval: 'approval.cancel',
  RetirementPage: 'retirement.page',
} as const;

export type Verb = (typeof Verb)[keyof typeof Verb];
