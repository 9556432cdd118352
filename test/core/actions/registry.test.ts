/** The one list of card actions: one handler per verb, and buttons that change runtimes are deduplicated. */
import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../../src/core/actions/registry';
import { resetAction } from '../../../src/core/actions/reset';
import { stopAction } from '../../../src/core/actions/stop';
import { submitCreateAction } from '../../../src/core/actions/submitCreate';
import { viewRuntimeAction } from '../../../src/core/actions/viewRuntime';

describe('ACTIONS', () => {
  it('should have one handler per verb', () => {
    const verbs = ACTIONS.map((a) => a.verb);
    expect(verbs.filter((v, i) => verbs.indexOf(v) !== i)).toEqual([]);
    expect(verbs.every((v) => typeof v === 'string' && v.length > 0)).toBe(true);
  });

  it('should list the actions the cards use', () => {
    expect(ACTIONS).toEqual(expect.arrayContaining([resetAction, stopAction, submitCreateAction, viewRuntimeAction]));
  });

  it('should mark the buttons that change runtimes, and only those', () => {
    expect([resetAction, stopAction, submitCreateAction].map((a) => a.sideEffects)).toEqual([true, true, true]);
    expect(viewRuntimeAction.sideEffects).toBe(false);
  });
});
