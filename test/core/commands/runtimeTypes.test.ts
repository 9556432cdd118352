/** The words for a runtime type: today's, the API's and the old ones, in any case; nothing else. */
import { describe, expect, it } from 'vitest';
import { runtimeTypeOf } from '../../../src/core/commands/runtimeTypes';

describe('runtimeTypeOf', () => {
  it.each([
    ['session', 'automatic'],
    ['Compute-Session', 'automatic'],
    ['automatic', 'automatic'],
    ['serverless', 'automatic'],
    ['CI', 'computeInstance'],
    ['computeInstance', 'computeInstance'],
    ['deployment', 'managedOnlineDeployment'],
    ['MIR', 'managedOnlineDeployment'],
  ])('should read %j as %s', (word, type) => {
    expect(runtimeTypeOf(word)).toBe(type);
  });

  it.each(['gpu', '', 'constructor', 'toString', '__proto__'])('should know no type %j', (word) => {
    expect(runtimeTypeOf(word)).toBeUndefined();
  });
});
