/**
 * Who may do what. Cards show only the buttons a viewer may use, and commands check the same
 * answer. Until a policy is configured every signed-in user of an allowed tenant may manage
 * runtimes; the approval policy plugs in here.
 */
import { OPERATION_KINDS, type OperationKind, type Runtime } from '../domain/runtime';
import type { ChatUser } from './request';

export interface Permissions {
  /** The operations this user may request on this runtime. */
  actionsFor(user: ChatUser, runtime: Pick<Runtime, 'name' | 'type' | 'status' | 'outdated'>): OperationKind[];
  mayCreate(user: ChatUser): boolean;
}

/** Operations that make sense in a runtime's state and for its type, whoever asks. */
export function applicableActions(runtime: Pick<Runtime, 'type' | 'status' | 'outdated'>): OperationKind[] {
  return OPERATION_KINDS.filter((kind) => {
    switch (kind) {
      case 'create':
        return false;
      case 'install':
        return runtime.type === 'automatic';
      case 'reset':
        return runtime.type !== 'managedOnlineDeployment' && runtime.status !== 'Unavailable';
      case 'upgrade':
        return runtime.outdated && runtime.status !== 'Unavailable';
      default:
        return true;
    }
  });
}

export const openPermissions: Permissions = {
  actionsFor: (_user, runtime) => applicableActions(runtime),
  mayCreate: () => true,
};
