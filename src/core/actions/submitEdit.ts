import { Verb } from '../../cards/verbs';
import { editFormFor, formErrors, updateRequestFrom } from '../forms';
import type { CardAction } from './types';
import { formValues, requiredField } from './types';

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
      const operation = await ctx.deps.client.updateRuntime(name, request, ctx.actor, {
        idempotencyKey: ctx.idempotencyKey,
        ...(eTag ? { ifMatch: eTag } : {}),
      });
      return { kind: 'operation', operation, title: `Updating ${operation.runtimeName}` };
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
