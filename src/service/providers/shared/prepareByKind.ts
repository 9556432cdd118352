/**
 * Which request each operation kind carries, and what a reset, stop or upgrade prepares, in one
 * place for both providers: `prepareByKind` reads the engine's arguments once and calls the
 * provider's rule for the kind. The rules themselves (and their order) stay the provider's.
 */
import type {
  CreateRuntimeRequest,
  InstallPackagesRequest,
  Person,
  UpdateRuntimeRequest,
} from '../../../domain/runtime';
import type { PreparedOperation, RuntimeRecord } from '../../model';
import type { PrepareArgs } from '../provider';

export interface KindRules {
  create(name: string, req: CreateRuntimeRequest, actor: Person): Promise<PreparedOperation>;
  update(req: UpdateRuntimeRequest, current: RuntimeRecord): PreparedOperation | Promise<PreparedOperation>;
  install(req: InstallPackagesRequest, current: RuntimeRecord): PreparedOperation;
  /** Throws when the runtime cannot be reset now; a reset takes no input. */
  reset(current: RuntimeRecord): void;
  /** The stop's stored input. */
  stop(input: Record<string, unknown>): Record<string, unknown>;
  /** Throws when the runtime cannot be upgraded now; else the upgrade's stored input. */
  upgrade(current: RuntimeRecord): Promise<Record<string, unknown>>;
}

export async function prepareByKind(
  [kind, name, input, actor, current]: PrepareArgs,
  rules: KindRules,
): Promise<PreparedOperation> {
  switch (kind) {
    case 'create':
      return rules.create(name, input as unknown as CreateRuntimeRequest, actor);
    case 'update':
      return rules.update(input as UpdateRuntimeRequest, current!);
    case 'install':
      return rules.install(input as unknown as InstallPackagesRequest, current!);
    case 'reset':
      rules.reset(current!);
      return { input: {}, warnings: [] };
    case 'stop':
      return { input: rules.stop(input), warnings: [] };
    case 'upgrade':
      return { input: await rules.upgrade(current!), warnings: [] };
  }
}
