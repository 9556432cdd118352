import { Verb } from './verbs';
import { quotedWords } from '../userText';
import { openEditAction } from './openEdit';
import { openInstallAction } from './openInstall';
import { runRuntimeOperation } from './runtimeOperation';
import type { CardAction } from './types';
import { requiredField } from './types';
import { code, t } from '../text';

/**
 * Retry on a failed progress card. Reset, stop and upgrade run again; a failed install or edit
 * reopens its form (the feed token was never stored, so it must be typed again); a failed create
 * left a Failed runtime behind, which a reset recreates.
 */
export const retryAction: CardAction = {
  verb: Verb.Retry,
  sideEffects: true,
  async run(ctx) {
    const kind = requiredField(ctx, 'kind');
    switch (kind) {
      case 'reset':
      case 'stop':
      case 'upgrade':
        return runRuntimeOperation(ctx, kind);
      case 'create':
        return runRuntimeOperation(ctx, 'reset');
      case 'install':
        return openInstallAction.run(ctx);
      case 'update':
        return openEditAction.run(ctx);
      default:
        return { kind: 'error', text: t`I can't retry ${code(quotedWords(kind, 30))} from here.` };
    }
  },
};
