import type { Operation } from '../domain/runtime';

const VERBS: Record<string, string> = {
  create: 'Creating',
  update: 'Updating',
  install: 'Installing packages into',
  reset: 'Resetting',
  stop: 'Stopping',
  upgrade: 'Upgrading',
};

/** "Resetting chat-dev": the title of an operation's progress message. */
export function operationTitle(op: Pick<Operation, 'kind' | 'runtimeName' | 'input'>): string {
  if (op.kind === 'install' && op.input.saveOnly === true) return `Saving requirements for ${op.runtimeName}`;
  return `${VERBS[op.kind] ?? op.kind} ${op.runtimeName}`;
}
