/** The install-packages form: requirement lines, an optional flow.dag.yaml, save-and-install or save-only. */
import type { InstallFormView } from '../../../../core/replies';
import { requirementsMasker } from '../../../../domain/requirements';
import { redactSecrets } from '../../../../domain/secrets';
import { type AdaptiveCard, clip, renderCard } from '../render';

export interface InstallFormCardData {
  runtimeName: string;
  message: string;
  values: { requirements: string; flowDag: string };
  errors: Record<string, string>;
  notes: string[];
}

export function installFormCard(form: InstallFormView): AdaptiveCard {
  // Echoed input never carries a feed token: the user types it again. The requirements parser's
  // masker learns the tokens of every line (also `-i TOKEN@host`, or a token repeated in a comment),
  // which pattern redaction cannot. It masks before the cut: a cut could split a URL before its `@`
  // and leave the start of a token showing. Masking is linear, so the order costs nothing.
  const requirements = form.values.requirements ?? '';
  const flowDag = form.values.flowDag ?? '';
  const mask = requirementsMasker(`${requirements}\n${flowDag}`);
  return renderCard('installForm', {
    runtimeName: clip(form.runtimeName, 100),
    message: clip(form.message, 1000),
    values: {
      requirements: clip(mask(requirements), 8000),
      flowDag: clip(mask(flowDag), 8000),
    },
    errors: Object.fromEntries(Object.entries(form.errors).map(([k, v]) => [k, clip(redactSecrets(mask(v)), 1000)])),
    notes: form.notes.slice(0, 10).map((n) => clip(n, 300)),
  } satisfies InstallFormCardData);
}
