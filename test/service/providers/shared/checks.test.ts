/** The validation rules both providers share: idle bounds, field errors, blocked states, VM sizes, the stable image. */
import { describe, expect, it } from 'vitest';
import { IDLE_MINUTES, type VmSize } from '../../../../src/domain/runtime';
import { AppError } from '../../../../src/errors';
import type { RuntimeRecord } from '../../../../src/service/model';
import {
  checkIdle,
  findVmSize,
  requireState,
  STABLE_IMAGE,
  throwIfFields,
} from '../../../../src/service/providers/shared/checks';

describe('checkIdle', () => {
  it.each([IDLE_MINUTES.min, 60, IDLE_MINUTES.max])('should accept %d minutes', (minutes) => {
    const fields = {};
    checkIdle(minutes, fields);
    expect(fields).toEqual({});
  });

  it.each([IDLE_MINUTES.min - 1, IDLE_MINUTES.max + 1, 30.5, Number.NaN])('should refuse %d minutes', (minutes) => {
    const fields: Record<string, string> = {};
    checkIdle(minutes, fields);
    expect(fields.idleTimeMinutes).toBe(
      `Idle time must be a whole number of minutes from ${IDLE_MINUTES.min} to ${IDLE_MINUTES.max}.`,
    );
  });
});

describe('throwIfFields', () => {
  it('should throw one invalid-field error with every field, and nothing without one', () => {
    expect(() => throwIfFields({})).not.toThrow();
    let thrown: unknown;
    try {
      throwIfFields({ vmSize: 'No quota.', idleTimeMinutes: 'Too long.' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({
      code: 'invalid_field',
      message: 'No quota. Too long.',
      fields: { vmSize: 'No quota.', idleTimeMinutes: 'Too long.' },
    });
  });
});

describe('requireState', () => {
  const record = (status: string) => ({ name: 'chat-dev', status }) as RuntimeRecord;

  it('should let a state that is not blocked through', () => {
    expect(() => requireState(record('Running'), ['Starting'], 'reset', ' Wait.')).not.toThrow();
  });

  it('should refuse a blocked state with the provider’s hint, or the compute instance’s for Unavailable', () => {
    expect(() => requireState(record('Starting'), ['Starting'], 'reset', ' Wait until it is Running.')).toThrow(
      'Cannot reset chat-dev while it is Starting. Wait until it is Running.',
    );
    expect(() => requireState(record('Unavailable'), ['Unavailable'], 'upgrade', ' Wait.')).toThrow(
      'Cannot upgrade chat-dev while it is Unavailable. Start its compute instance first.',
    );
  });
});

describe('findVmSize and STABLE_IMAGE', () => {
  it('should find a VM size whatever its case', () => {
    const sizes = [{ name: 'Standard_E4ds_v4' }, { name: 'Standard_E8ds_v4' }] as VmSize[];
    expect(findVmSize(sizes, 'standard_e8ds_v4')?.name).toBe('Standard_E8ds_v4');
    expect(findVmSize(sizes, 'Standard_NC6')).toBeUndefined();
  });

  it('should take the stable image with or without a tag, and nothing else', () => {
    const repo = 'mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable';
    expect(STABLE_IMAGE.exec(`${repo}:20251211.v2`)?.[1]).toBe('20251211.v2');
    expect(STABLE_IMAGE.test(repo)).toBe(true);
    expect(STABLE_IMAGE.test(`${repo}@sha256:abc`)).toBe(false);
    expect(STABLE_IMAGE.test('docker.io/evil/promptflow-runtime-stable:1')).toBe(false);
  });
});
