import { Verb } from './verbs';
import { editFormFor, formErrors, updateRequestFrom } from '../forms';
import type { CardAction } from './types';
import { changeContext, formValues, requiredField } from './types';

const FIELDS = ['vmSize', 'idleTimeMinutes', 'environment', 'instanceCount', 'description'] as const;

/** Saves the edit form: only changed fields, guarded by the runtime's ETag. */
export const submitEditAction: CardAction = {
  verb: Verb.SubmitEdit,
  sideEffects: true,
  async run(ctx) {
    const name = requiredField(ctx, 'name');
    const values = formValues(ctx, FIELDS);
    const { runtime, eTag } = await ctx.deps.client.getRuntime(name);
    try {
      const request = updateRequestFrom(runtime as unknown as Record<string, unknown>, runtime.type, values);
      const change = {
        kind: 'update' as const,
        runtimeName: name,
        body: { ...request },
        ...(eTag ? { ifMatch: eTag } : {}),
      };
      return await ctx.deps.changes.submit(change, changeContext(ctx));
    } catch (error) {
      const problems = formErrors(error);
      if (!problems) throw error;
      const reopened = await editFormFor(ctx.deps.client, name);
      return {
        kind: 'editForm',
        form: { ...reopened.form, values, errors: problems.errors, message: problems.message },
      };
    }
  },
};
