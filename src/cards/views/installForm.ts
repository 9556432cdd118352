/** The install-packages form: requirement lines, an optional flow.dag.yaml, save-and-install or save-only. */
import type { InstallFormView } from '../../core/replies';
import { redactSecrets } from '../../domain/secrets';
import { type AdaptiveCard, clip, renderCard } from '../render';

export interface InstallFormCardData {
  runtimeName: string;
  message: string;
  values: { requirements: string; flowDag: string };
  errors: Record<string, string>;
  notes: string[];
}

export function installFormCard(form: InstallFormView): AdaptiveCard {
  return renderCard('installForm', {
    runtimeName: clip(form.runtimeName, 100),
    message: clip(form.message, 1000),
    // Echoed input never carries a feed token: the user types it again.
    values: {
      requirements: clip(redactSecrets(form.values.requirements ?? ''), 8000),
      flowDag: clip(form.values.flowDag ?? '', 8000),
    },
    errors: Object.fromEntries(Object.entries(form.errors).map(([k, v]) => [k, clip(redactSecrets(v), 1000)])),
    notes: form.notes.slice(0, 10).map((n) => clip(n, 300)),
  } satisfies InstallFormCardData);
}
