import { Verb } from './verbs';
import { CREATE_FIELDS, createFormOptions, toRuntimeType } from '../forms';
import type { CardAction } from './types';
import { field, formValues } from './types';

/** The create form's type buttons: the same form with the other type's fields. */
export const switchCreateTypeAction: CardAction = {
  verb: Verb.SwitchCreateType,
  sideEffects: false,
  async run(ctx) {
    const options = await createFormOptions(ctx.deps.client, ctx.actor);
    const values = formValues(ctx, CREATE_FIELDS);
    return {
      kind: 'createForm',
      form: {
        ...options,
        type: toRuntimeType(field(ctx, 'type')),
        values: { ...values, idleTimeMinutes: values.idleTimeMinutes || '60' },
        errors: {},
      },
    };
  },
};
