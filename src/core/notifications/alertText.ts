/** The words of a runtime alert, shared by every channel's renderer. */
import type { RuntimeAlert } from '../replies';

export function alertTitle(alert: RuntimeAlert): string {
  switch (alert.kind) {
    case 'failure':
      return 'Runtime failure';
    case 'idleWarning':
      return 'Idle shutdown soon';
    case 'idleStopped':
      return 'Stopped after being idle';
  }
}

/** One sentence; `when` is how the channel shows alert.at (a relative or local time). */
export function alertHeadline(alert: RuntimeAlert, when: string): string {
  switch (alert.kind) {
    case 'failure':
      return alert.operationKind
        ? `${alert.runtime}: ${operationNoun(alert.operationKind)} failed`
        : `${alert.runtime} is not available`;
    case 'idleWarning':
      return `${alert.runtime} will stop ${when} because nobody has used it. Use it, or say reset, to keep it.`;
    case 'idleStopped':
      return `${alert.runtime} was stopped ${when} after its idle time, and its compute was released. Say create to make it again.`;
  }
}

function operationNoun(kind: string): string {
  const nouns: Record<string, string> = {
    create: 'creating it',
    update: 'updating it',
    install: 'installing packages',
    reset: 'the reset',
    stop: 'stopping it',
    upgrade: 'the upgrade',
  };
  return nouns[kind] ?? kind;
}
