import { Verb } from './verbs';
import { RUNTIME_NAME } from '../../domain/runtime';
import { fieldError } from '../../errors';
import { CREATE_FIELDS, createFormOptions, createRequestFrom, formErrors, toRuntimeType } from '../forms';
import type { CardAction } from './types';
import { changeContext, field, formValues } from './types';

/** Creates the runtime from the form; any problem returns the form with field errors and the input kept. */
export const submitCreateAction: CardAction = {
  verb: Verb.SubmitCreate,
  sideEffects: true,
  async run(ctx) {
    const type = toRuntimeType(field(ctx, 'type'));
    const values = formValues(ctx, CREATE_FIELDS);
    const name = values.name.trim();
    try {
      if (!RUNTIME_NAME.test(name)) {
        throw fieldError('name', 'Use 3 to 63 letters, digits, - or _, starting with a letter.');
      }
      const request = createRequestFrom(type, values);
      return await ctx.deps.changes.submit(
        { kind: 'create', runtimeName: name, body: { ...request } },
        changeContext(ctx),
      );
    } catch (error) {
      const problems = formErrors(error);
      if (!problems) throw error;
      const options = await createFormOptions(ctx.deps.client, ctx.actor);
      // A name that is taken is the name field's problem.
      const errors = /already exists/.test(problems.message)
        ? { ...problems.errors, name: problems.message }
        : problems.errors;
      return { kind: 'createForm', form: { ...options, type, values, errors, message: problems.message } };
    }
  },
};
