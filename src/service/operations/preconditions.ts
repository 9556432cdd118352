/** The rules a change must meet before it may claim its runtime, and the keys that identify requests. */
import { createHash } from 'node:crypto';
import type { Person } from '../../domain/runtime';
import { AppError, conflict, ErrorCode, notFound } from '../../errors';
import type { Stored } from '../../storage/collection';
import type { RuntimeRecord } from '../model';
import type { SubmitRequest } from './records';

export function checkPreconditions(request: SubmitRequest, current: Stored<RuntimeRecord> | undefined): void {
  if (request.kind === 'create') {
    if (current) {
      throw conflict(
        `A runtime named ${current.name} already exists. Pick another name, or reset or stop the existing one.`,
      );
    }
    return;
  }
  if (!current) throw notFound(`There is no runtime named ${request.runtimeName}.`);
  if (request.ifMatch && request.ifMatch !== '*' && request.ifMatch !== current.eTag) {
    throw new AppError(
      ErrorCode.PreconditionFailed,
      `${current.name} changed since you read it (it is now ${current.status}); read it again and retry.`,
    );
  }
  if (current.activeOperation) {
    const a = current.activeOperation;
    throw new AppError(
      ErrorCode.Busy,
      `${current.name} is busy: a ${a.kind} requested by ${a.requestedBy.name ?? a.requestedBy.objectId} is still running. Try again when it ends.`,
      { operationId: a.id },
    );
  }
}

export function idempotencyId(actor: Person, key: string): string {
  return sha256(`${actor.objectId}\n${key}`);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
