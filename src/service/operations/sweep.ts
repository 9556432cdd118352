/**
 * The periodic sweep every service replica runs: it mirrors changes made outside the service
 * (`provider.sync`), starts the changes the provider asks for by itself (idle shutdowns), repairs
 * locks left by crashes and expires idempotency records. Every part is safe on any number of
 * replicas at once: a system change has an idempotency key, and the rest are eTag-guarded.
 */
import { AppError } from '../../errors';
import type { Logger } from '../../logger';
import { traceSync } from '../../telemetry/operations';
import type { EventLog } from '../events/eventLog';
import { SYSTEM_ACTOR } from '../model';
import type { RuntimeProvider } from '../providers/provider';
import type { SubmitRequest } from './records';
import type { IdempotencyKeys } from './idempotencyKeys';
import type { RuntimeLocks } from './locks';
import { sha256 } from './preconditions';

export class Sweep {
  constructor(
    private readonly provider: RuntimeProvider,
    private readonly events: EventLog,
    private readonly locks: RuntimeLocks,
    private readonly idempotency: IdempotencyKeys,
    private readonly log: Logger,
    /** The engine's submit, through which system changes go like anyone's. */
    private readonly submit: (request: SubmitRequest) => Promise<unknown>,
  ) {}

  async run(): Promise<void> {
    await this.sync();
    for (const request of await this.provider.systemWork()) {
      try {
        await this.submit({
          ...request,
          actor: SYSTEM_ACTOR,
          fingerprint: sha256(`${request.kind}:${request.runtimeName}:${request.idempotencyKey}`),
        });
        this.log.info('system operation started', {
          kind: request.kind,
          runtime: request.runtimeName,
          reason: request.reason,
        });
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        this.log.debug('system operation skipped', { runtime: request.runtimeName, reason: error.message });
      }
    }
    await this.locks.repair();
    await this.idempotency.expire();
  }

  /** Publishes what the provider's sync found; a failed sync is logged and does not stop the sweep. */
  async sync(): Promise<void> {
    if (!this.provider.sync) return;
    let changes: Awaited<ReturnType<NonNullable<RuntimeProvider['sync']>>>;
    try {
      changes = await traceSync(() => this.provider.sync!());
    } catch (error) {
      this.log.warn('provider sync failed', { error });
      return;
    }
    for (const c of changes) {
      await this.events.append(c.kind === 'deleted' ? 'runtime.deleted' : 'runtime.changed', {
        runtimeName: c.runtimeName,
        status: c.status,
        message: c.message,
      });
    }
    if (changes.length) this.log.info('runtimes changed outside the service', { count: changes.length });
  }
}
