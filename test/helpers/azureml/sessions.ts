/**
 * Compute sessions (automatic runtimes) and their long-running operations. A FlowSessions POST (action Install, the
 * default, which creates a missing session; Reset; Update; Delete) or DELETE starts an operation and answers 202;
 * the operation reads `{"status":"InProgress"}` until it has been polled `timing.polls` times or `timing.ms` have
 * passed, then `Succeeded` (possibly with pip's warnings in `error.message`) or `Failed` with the pip error. A
 * session with an operation in progress answers 409 to further actions. An Install on an idle session with the same
 * requirements does nothing and answers 200. A session unused for `maxIdleTimeSeconds` is deleted on the next access.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, conflict, notFound, rootError, type RootError } from './errors';
import { BASE_IMAGE_FREEZE, mask, pipInstall, type PackageIndex } from './pip';
import { IMAGE_REPOSITORY, isDone, type Pending, type Principal, type WorkspaceConfig } from './state';

export type SessionAction = 'Install' | 'Reset' | 'Update' | 'Delete';

export interface OperationResult {
  status: 'Succeeded' | 'Failed';
  error?: RootError;
}

export interface SessionOperation {
  id: string;
  sessionId: string;
  action: SessionAction;
  location: string;
  pending: Pending;
  result?: OperationResult;
}

export interface Session {
  id: string;
  vmSize: string;
  maxIdleTimeSeconds: number;
  baseImage: string;
  identity?: string;
  computeName?: string;
  requirements: string[];
  freeze: string[];
  owner: Principal;
  createdOn: number;
  modifiedOn: number;
  lastAliveTime: number;
  provisioningState: 'Creating' | 'Updating' | 'Deleting' | 'Succeeded' | 'Failed';
  lastSetup?: { exitCode: number; stdOut: string; stdErr: string };
  operation?: SessionOperation;
}

export const DEFAULT_VM_SIZE = 'Standard_E4ds_v4';
const DEFAULT_IDLE_SECONDS = 3600;

export class SessionState {
  readonly sessions = new Map<string, Session>();
  readonly operations = new Map<string, SessionOperation>();
  packageIndex: PackageIndex;

  constructor(
    private readonly config: WorkspaceConfig,
    packageIndex: PackageIndex,
  ) {
    this.packageIndex = packageIndex;
  }

  private get now(): number {
    return this.config.clock.now();
  }

  get(id: string): Session {
    this.sweepIdle();
    const session = this.sessions.get(id);
    if (!session) throw notFound(`Session ${id}`);
    if (session.operation && isDone(session.operation.pending, this.now)) this.finish(session.operation);
    if (!this.sessions.has(id)) throw notFound(`Session ${id}`);
    return session;
  }

  /** POST FlowSessions/{id}: 200 when there is nothing to do, else the started operation (202). */
  act(id: string, body: Record<string, any>, caller: Principal): SessionOperation | undefined {
    this.sweepIdle();
    if (id.length > 64) throw badRequest(`Session id ${id.slice(0, 16)}… is longer than 64 characters.`, 'sessionId');
    const action: SessionAction = body.action ?? 'Install';
    const s = this.sessions.get(id);
    if (!s) {
      if (action !== 'Install') throw notFound(`Session ${id}`);
      const created = this.createSession(id, body, caller);
      return this.start(created, 'Install', 'Creating', () =>
        this.install(created, [], body.pythonPipRequirements ?? []),
      );
    }
    this.assertIdle(s);
    s.lastAliveTime = this.now;
    switch (action) {
      case 'Install': {
        const requirements: string[] = body.pythonPipRequirements ?? s.requirements;
        if (sameList(requirements, s.requirements) && s.lastSetup?.exitCode === 0) return undefined;
        return this.start(s, 'Install', 'Updating', () => this.install(s, s.freeze, requirements));
      }
      case 'Reset':
        return this.start(s, 'Reset', 'Updating', () => {
          s.vmSize = body.vmSize ?? s.vmSize;
          s.baseImage = body.baseImage ?? s.baseImage;
          s.maxIdleTimeSeconds = body.maxIdleTimeSeconds ?? s.maxIdleTimeSeconds;
          return this.install(s, [], body.pythonPipRequirements ?? s.requirements);
        });
      case 'Update':
        return this.start(s, 'Update', 'Updating', () => {
          s.vmSize = body.vmSize ?? s.vmSize;
          s.maxIdleTimeSeconds = body.maxIdleTimeSeconds ?? s.maxIdleTimeSeconds;
          s.identity = body.identity ?? s.identity;
          return { status: 'Succeeded' };
        });
      case 'Delete':
        return this.remove(id);
    }
  }

  /** DELETE FlowSessions/{id}, or action Delete. */
  remove(id: string): SessionOperation {
    const session = this.get(id);
    this.assertIdle(session);
    return this.start(session, 'Delete', 'Deleting', () => {
      this.sessions.delete(id);
      return { status: 'Succeeded' };
    });
  }

  /** One poll of the async operation route. */
  poll(
    sessionId: string,
    action: string,
    location: string,
    operationId: string,
  ): { status: string; error?: RootError } {
    const op = this.operations.get(operationId);
    if (!op || op.sessionId !== sessionId || op.action !== action || op.location !== location) {
      throw notFound(`Operation ${operationId}`);
    }
    if (!op.result) {
      op.pending.reads += 1;
      if (isDone(op.pending, this.now)) this.finish(op);
    }
    return op.result ?? { status: 'InProgress' };
  }

  settle(): void {
    for (const op of this.operations.values()) if (!op.result) this.finish(op);
  }

  private createSession(id: string, body: Record<string, any>, caller: Principal): Session {
    const now = this.now;
    const session: Session = {
      id,
      vmSize: body.vmSize ?? DEFAULT_VM_SIZE,
      maxIdleTimeSeconds: body.maxIdleTimeSeconds ?? DEFAULT_IDLE_SECONDS,
      baseImage: body.baseImage ?? `${IMAGE_REPOSITORY}:${this.config.latestVersion}`,
      identity: body.identity ?? undefined,
      computeName: body.computeName ?? undefined,
      requirements: [],
      freeze: [],
      owner: caller,
      createdOn: now,
      modifiedOn: now,
      lastAliveTime: now,
      provisioningState: 'Creating',
    };
    this.sessions.set(id, session);
    return session;
  }

  private install(session: Session, current: string[], requirements: string[]): OperationResult {
    const pip = pipInstall(requirements, current.length ? current : BASE_IMAGE_FREEZE, this.packageIndex);
    session.requirements = [...requirements];
    session.freeze = pip.freeze;
    session.lastSetup = { exitCode: pip.ok ? 0 : 1, stdOut: pip.stdout, stdErr: pip.stderr };
    if (!pip.ok) return { status: 'Failed', error: rootError('UserError', 'PipInstallFailed', mask(pip.stderr)) };
    return pip.stderr
      ? { status: 'Succeeded', error: rootError('UserError', 'PipInstallWarning', mask(pip.stderr)) }
      : { status: 'Succeeded' };
  }

  private start(
    session: Session,
    action: SessionAction,
    state: Session['provisioningState'],
    apply: () => OperationResult,
  ): SessionOperation {
    session.provisioningState = state;
    session.modifiedOn = this.now;
    const op: SessionOperation = {
      id: randomUUID(),
      sessionId: session.id,
      action,
      location: this.config.location,
      pending: {
        startedAt: this.now,
        reads: 0,
        timing: this.config.sessionTiming,
        finish: () => {
          op.result = apply();
          session.operation = undefined;
          session.provisioningState = 'Succeeded';
          session.modifiedOn = this.now;
          session.lastAliveTime = this.now;
        },
      },
    };
    session.operation = op;
    this.operations.set(op.id, op);
    return op;
  }

  private finish(op: SessionOperation): void {
    if (!op.result) op.pending.finish();
  }

  private assertIdle(session: Session): void {
    if (session.operation) {
      throw conflict(`Session ${session.id} is busy: its ${session.operation.action} operation is in progress.`);
    }
  }

  private sweepIdle(): void {
    for (const session of [...this.sessions.values()]) {
      if (!session.operation && this.now - session.lastAliveTime > session.maxIdleTimeSeconds * 1000) {
        this.sessions.delete(session.id);
      }
    }
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}
