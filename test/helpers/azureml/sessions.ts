/**
 * Compute sessions (automatic runtimes) and their long-running operations, as the recorded exchanges show them
 * (test/fixtures/azureml/) and, where those are silent, in the way least kind to a client:
 *  - POST FlowSessions/{id} must name its `action` (the recorded SDK call does; without one: 400). Install creates a
 *    missing session. A started operation answers 202 with an empty body and an `Azure-AsyncOperation` URL; the
 *    URL's action segment is the service's, not the request's (the recorded Install of a new session got `Reset`).
 *  - The poll answers `{"status":"InProgress"}` until the operation has been polled `timing.polls` times or
 *    `timing.ms` have passed, then `{"status":"Succeeded"}` (pip's warnings in `error.message`) or `Failed` with the
 *    pip error.
 *  - An Install while an operation is in progress joins it (the same URL): the SDK tells users that submitting
 *    again "will continue polling status of previous session". Any other action then answers 409.
 *  - An Install with nothing to do (same lines, all installed) answers 200 with an empty body.
 *  - Reset recreates the session from what it is sent: lines it is not sent are not installed.
 *  - The session's compute is Succeeded from the start, before the session is ready: one compute hosts several
 *    sessions. Readiness shows only in the operation.
 *  - A session unused for `maxIdleTimeSeconds` is deleted on the next access.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, conflict, notFound, rootError, type RootError } from './errors';
import { BASE_IMAGE_FREEZE, mask, pipInstall, type PackageIndex } from './pip';
import { IMAGE_REPOSITORY, isDone, type Pending, type Principal, type WorkspaceConfig } from './state';

export type SessionAction = 'Install' | 'Reset' | 'Update' | 'Delete';
const ACTIONS: readonly string[] = ['Install', 'Reset', 'Update', 'Delete'];

export interface OperationResult {
  status: 'Succeeded' | 'Failed';
  error?: RootError;
}

export interface SessionOperation {
  id: string;
  sessionId: string;
  action: SessionAction;
  /** The action segment of its Azure-AsyncOperation URL. */
  urlAction: SessionAction;
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
  computeName: string;
  requirements: string[];
  freeze: string[];
  owner: Principal;
  createdOn: number;
  modifiedOn: number;
  lastAliveTime: number;
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

  /** POST FlowSessions/{id}: undefined (200) when there is nothing to do, else the operation to follow (202). */
  act(id: string, body: Record<string, any>, caller: Principal): SessionOperation | undefined {
    this.sweepIdle();
    if (id.length > 64) throw badRequest(`Session id ${id.slice(0, 16)}… is longer than 64 characters.`, 'sessionId');
    const action = body.action as SessionAction | undefined;
    if (!action || !ACTIONS.includes(action))
      throw badRequest('The request must name its action: Install, Reset, Update or Delete.', 'action');
    const s = this.sessions.get(id);
    if (!s) {
      if (action !== 'Install') throw notFound(`Session ${id}`);
      const created = this.createSession(id, body, caller);
      return this.start(created, 'Install', 'Reset', () => this.install(created, [], lines(body) ?? []));
    }
    if (s.operation && action === 'Install') return s.operation;
    this.assertIdle(s);
    s.lastAliveTime = this.now;
    switch (action) {
      case 'Install': {
        const requirements = lines(body) ?? s.requirements;
        if (sameList(requirements, s.requirements) && s.lastSetup?.exitCode === 0) return undefined;
        return this.start(s, 'Install', 'Install', () => this.install(s, s.freeze, requirements));
      }
      case 'Reset':
        return this.start(s, 'Reset', 'Reset', () => {
          s.vmSize = body.vmSize ?? s.vmSize;
          s.baseImage = body.baseImage ?? s.baseImage;
          s.maxIdleTimeSeconds = body.maxIdleTimeSeconds ?? s.maxIdleTimeSeconds;
          s.identity = body.identity ?? s.identity;
          s.freeze = [];
          return this.install(s, [], lines(body) ?? []);
        });
      case 'Update':
        return this.start(s, 'Update', 'Update', () => {
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
    return this.start(session, 'Delete', 'Delete', () => {
      this.sessions.delete(id);
      return { status: 'Succeeded' };
    });
  }

  /** One poll of the async operation route: the URL must be one this fake handed out. */
  poll(
    sessionId: string,
    action: string,
    location: string,
    operationId: string,
  ): { status: string; error?: RootError } {
    const op = this.operations.get(operationId);
    if (!op || op.sessionId !== sessionId || op.urlAction !== action || op.location !== location) {
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
    const vmSize = body.vmSize ?? DEFAULT_VM_SIZE;
    const session: Session = {
      id,
      vmSize,
      maxIdleTimeSeconds: body.maxIdleTimeSeconds ?? DEFAULT_IDLE_SECONDS,
      baseImage: body.baseImage ?? `${IMAGE_REPOSITORY}:${this.config.latestVersion}`,
      identity: body.identity ?? undefined,
      // A shared serverless compute of that size, ready before any session on it is.
      computeName: body.computeName ?? `serverless-${vmSize.toLowerCase().replace(/_/g, '-')}`,
      requirements: [],
      freeze: [],
      owner: caller,
      createdOn: now,
      modifiedOn: now,
      lastAliveTime: now,
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
    urlAction: SessionAction,
    apply: () => OperationResult,
  ): SessionOperation {
    session.modifiedOn = this.now;
    const op: SessionOperation = {
      id: randomUUID(),
      sessionId: session.id,
      action,
      urlAction,
      location: this.config.location,
      pending: {
        startedAt: this.now,
        reads: 0,
        timing: this.config.sessionTiming,
        finish: () => {
          op.result = apply();
          session.operation = undefined;
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

/** The requirement lines of a request, when it sends any. */
function lines(body: Record<string, any>): string[] | undefined {
  return Array.isArray(body.pythonPipRequirements) ? body.pythonPipRequirements : undefined;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}
