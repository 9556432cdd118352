/**
 * Who may do what. Cards show only the buttons a viewer may use, and commands check the same
 * answer. Until a policy is configured every signed-in user of an allowed tenant may manage
 * runtimes; with a policy, its roles decide.
 */
import { OPERATION_KINDS, type OperationKind, type Runtime } from '../domain/runtime';
import { unreachable } from '../unreachable';
import type { PolicyStore } from './policy/policyStore';
import type { ChatUser } from './request';

export interface Permissions {
  /** The operations this user may request on this runtime. */
  actionsFor(user: ChatUser, runtime: Pick<Runtime, 'name' | 'type' | 'status' | 'outdated'>): Promise<OperationKind[]>;
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
      case 'stop':
      case 'update':
        return true;
      default:
        return unreachable(kind, 'operation kind');
    }
  });
}

export const openPermissions: Permissions = {
  actionsFor: async (_user, runtime) => applicableActions(runtime),
};

/** With a policy: requesters (owners and data scientists) see the actions; viewers see none. */
export function policyPermissions(policy: PolicyStore): Permissions {
  return {
    async actionsFor(user, runtime) {
      if (!policy.current()) return applicableActions(runtime);
      const roles = await policy.rolesOf(user.id);
      return roles.includes('owner') || roles.includes('dataScientist') ? applicableActions(runtime) : [];
    },
  };
}
