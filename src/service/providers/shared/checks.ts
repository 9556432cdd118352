/**
 * Small validation rules that the local emulator and the azureml provider apply the same way, in
 * one place so that the two cannot drift apart: field-error collection, idle-time bounds, the
 * states in which an operation makes sense, how a runtime type is named in messages, the stable
 * base image, and the shape of a provider's VM-size rule.
 */
import { IDLE_MINUTES, type VmSize } from '../../../domain/runtime';
import { AppError, ErrorCode, type FieldErrors, invalidField } from '../../../errors';
import type { RuntimeRecord } from '../../model';

export const STABLE_IMAGE = /^mcr\.microsoft\.com\/azureml\/promptflow\/promptflow-runtime-stable(?::([^@\s]+))?$/;

/**
 * A provider's VM sizes: why one cannot be used (undefined when it can), and the sizes it knows.
 * The emulator looks them up, with quota, in its workspace; azureml takes any name shaped like a
 * size (Azure refuses one without quota) and knows a static list.
 */
export interface VmSizeRule {
  check(vmSize: string): Promise<string | undefined>;
  sizes(): Promise<VmSize[]>;
}

export function findVmSize(sizes: VmSize[], vmSize: string): VmSize | undefined {
  return sizes.find((s) => s.name.toLowerCase() === vmSize.toLowerCase());
}

export function typeLabel(type: RuntimeRecord['type']): string {
  return {
    automatic: 'automatic',
    computeInstance: 'compute instance',
    managedOnlineDeployment: 'managed online deployment',
  }[type];
}

/** Throws one 422 for all the field errors collected, if there are any. */
export function throwIfFields(fields: FieldErrors): void {
  if (Object.keys(fields).length) throw invalidField(Object.values(fields).join(' '), fields);
}

/** Records a field error when an idle time is not a whole number of minutes within the bounds. */
export function checkIdle(minutes: number, fields: FieldErrors): void {
  if (!Number.isInteger(minutes) || minutes < IDLE_MINUTES.min || minutes > IDLE_MINUTES.max) {
    fields.idleTimeMinutes = `Idle time must be a whole number of minutes from ${IDLE_MINUTES.min} to ${IDLE_MINUTES.max}.`;
  }
}

/**
 * Refuses to `verb` a runtime in one of the `blocked` states. `waitHint` is what the provider tells
 * the user to wait for when the state will pass (the emulator: Running; Azure: until it settles).
 */
export function requireState(current: RuntimeRecord, blocked: string[], verb: string, waitHint: string): void {
  if (blocked.includes(current.status)) {
    const hint = current.status === 'Unavailable' ? ' Start its compute instance first.' : waitHint;
    throw new AppError(ErrorCode.Conflict, `Cannot ${verb} ${current.name} while it is ${current.status}.${hint}`);
  }
}
