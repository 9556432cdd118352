import { Verb } from './verbs';
import { readFlowEnvironment } from '../../domain/flowDag';
import { parseRequirements } from '../../domain/requirements';
import { formErrors } from '../forms';
import type { Reply } from '../replies';
import type { CardAction } from './types';
import { changeContext, field, requiredField } from './types';

/** Save and install, or save only. Problems come back on the form, with the input kept. */
export const submitInstallAction: CardAction = {
  verb: Verb.SubmitInstall,
  sideEffects: true,
  async run(ctx) {
    const name = requiredField(ctx, 'name');
    const requirements = field(ctx, 'requirements') ?? '';
    const flowDag = field(ctx, 'flowDag') ?? '';
    const saveOnly = field(ctx, 'saveOnly') === 'true';
    const form = (errors: Record<string, string>, message: string, notes: string[] = []): Reply => ({
      kind: 'installForm',
      form: { runtimeName: name, values: { requirements, flowDag }, errors, message, notes },
    });
    const notes: string[] = [];
    if (flowDag.trim()) {
      try {
        const env = readFlowEnvironment(flowDag);
        if (env.image) notes.push(`flow.dag.yaml asks for the base image ${env.image}: reset the runtime to use it.`);
        if (env.pythonRequirementsTxt)
          notes.push(`flow.dag.yaml installs from ${env.pythonRequirementsTxt}: paste that file's lines above.`);
      } catch (error) {
        const problems = formErrors(error);
        if (problems) return form(problems.errors, problems.message);
        throw error;
      }
    }
    const parsed = parseRequirements(requirements);
    if (parsed.errors.length)
      return form(
        { requirements: parsed.errors.map((e) => e.message).join('\n') },
        'Some requirement lines cannot be installed as written.',
        notes,
      );
    if (parsed.packages.length === 0)
      return form({ requirements: 'Add at least one package.' }, 'There is nothing to install yet.', notes);
    try {
      return await ctx.deps.changes.submit(
        { kind: 'install', runtimeName: name, body: { requirements, saveOnly } },
        changeContext(ctx),
      );
    } catch (error) {
      const problems = formErrors(error);
      if (problems) return form(problems.errors, problems.message, notes);
      throw error;
    }
  },
};
