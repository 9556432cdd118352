/**
 * Polls an OCI registry for new base-image tags and publishes them through the VersionStore, which
 * emits `image.released` once per tag. Several replicas run it on one storage, so its state is a
 * stored record: a lease (`nextPollAt`) lets one replica poll per interval, failures back off for
 * every replica, and the first poll imports the tags that exist already without any events.
 */
import { createHash, randomUUID } from 'node:crypto';
import { type Clock, iso } from '../../clock';
import { sortImageVersions } from '../../domain/imageVersion';
import type { Person } from '../../domain/runtime';
import type { Logger } from '../../logger';
import { Collection, withoutEtag } from '../../storage/collection';
import { PollLoop } from '../../infra/pollLoop';
import { backoffDelay } from '../../infra/retry';
import { type LeaseHold, RecordLeases } from '../../storage/lease';
import type { Storage } from '../../storage/storage';
import { listOciTags, RegistryError } from './ociTags';
import type { VersionStore } from './versionStore';

export interface RegistryWatcherOptions {
  registryUrl: string;
  repository: string;
  pollMs: number;
  /** First delay after a failure; it doubles per failure in a row, with jitter. */
  backoffBaseMs?: number;
  maxBackoffMs?: number;
  /** How long a replica may poll before another may take over. */
  leaseMs?: number;
  /** How often the timer checks whether a poll is due. */
  checkMs?: number;
  requestTimeoutMs?: number;
  pageSize?: number;
  maxPages?: number;
  owner?: string;
  /** In [0, 1); tests pin the jitter. */
  random?: () => number;
  fetch?: typeof fetch;
}

/** The stored state, shared by every replica watching the same repository. */
export interface RegistryWatcherState {
  source: string;
  seeded: boolean;
  /** Epoch ms before which no replica polls; moved forward by the replica that takes the lease. */
  nextPollAt: number;
  lease?: LeaseHold;
  consecutiveFailures: number;
  lastPollAt?: string;
  lastSuccessAt?: string;
  lastError?: { message: string; status?: number; at: string };
  backoffUntil?: string;
  tagCount?: number;
}

export type PollResult =
  | { ok: true; seeded: boolean; published: string[]; versionTags: number }
  | { ok: false; error: string; retryInMs: number };

/** Who publishes what the watcher finds. */
export const REGISTRY_ACTOR: Person = { objectId: 'system', name: 'Image registry watcher' };

export class RegistryWatcher {
  private readonly states: Collection<RegistryWatcherState>;
  private readonly id: string;
  private readonly source: string;
  private readonly owner: string;
  private readonly leaseMs: number;
  private readonly leases: RecordLeases<RegistryWatcherState>;
  private stopping = new AbortController();
  private loop?: PollLoop;

  constructor(
    storage: Storage,
    private readonly versions: VersionStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: RegistryWatcherOptions,
  ) {
    this.states = new Collection(storage, 'registry-watch');
    const url = new URL(options.registryUrl);
    // Never keep or log credentials that might sit in the URL.
    this.source = `${url.origin}${url.pathname.replace(/\/+$/, '')}/${options.repository}`;
    this.id = createHash('sha256').update(this.source).digest('hex').slice(0, 24);
    this.owner = options.owner ?? `registry-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.leaseMs = options.leaseMs ?? 120_000;
    this.leases = new RecordLeases(this.states, this.owner, clock, this.leaseMs);
  }

  /** The shared state, for health reports and tests. */
  async state(): Promise<RegistryWatcherState | undefined> {
    const found = await this.states.get(this.id);
    return found ? withoutEtag(found) : undefined;
  }

  /** Checks at once, then every `checkMs`, whether a poll is due. */
  start(): void {
    if (this.loop) return;
    if (this.stopping.signal.aborted) this.stopping = new AbortController();
    const checkMs = this.options.checkMs ?? Math.min(this.options.pollMs, 5000);
    this.loop = new PollLoop(() => this.tick(), { busyMs: checkMs, log: this.log, name: 'registry watcher' });
    this.loop.start(0);
  }

  /** Stops the checks and cancels a poll under way; resolves when it has wound down. */
  async stop(): Promise<void> {
    const loop = this.loop;
    this.loop = undefined;
    this.stopping.abort();
    await loop?.stop();
  }

  /** Polls when a poll is due and no other replica holds the lease; true when this one polled. */
  async tick(): Promise<boolean> {
    if (this.stopping.signal.aborted) return false;
    const now = this.clock.now();
    const current = await this.states.get(this.id);
    if (current && (current.nextPollAt > now || !this.leases.free(current))) return false;
    // No replica polls again before the lease ends, unless the poll's outcome says otherwise.
    const nextPollAt = now + this.leaseMs;
    const body = { ...(current ? withoutEtag(current) : this.initial()), nextPollAt };
    if (!(await this.leases.take(this.id, current, body))) return false; // another replica took it
    await this.pollOnce();
    return true;
  }

  /** Polls now, whatever the schedule says, records the outcome and publishes new tags. */
  async pollOnce(): Promise<PollResult> {
    const startedAt = this.clock.now();
    const { registryUrl, repository, pageSize, maxPages, requestTimeoutMs, fetch } = this.options;
    let tags: string[];
    try {
      tags = await listOciTags({
        registryUrl,
        repository,
        signal: this.stopping.signal,
        now: () => this.clock.now(),
        ...(pageSize ? { pageSize } : {}),
        ...(maxPages ? { maxPages } : {}),
        ...(requestTimeoutMs ? { timeoutMs: requestTimeoutMs } : {}),
        ...(fetch ? { fetch } : {}),
      });
    } catch (error) {
      if (!this.stopping.signal.aborted) return this.failed(error, startedAt);
      // Stopping: hand the lease back so that another replica polls soon.
      await this.record(startedAt, (s) => ({ ...s, nextPollAt: this.clock.now() }));
      return { ok: false, error: 'stopped', retryInMs: 0 };
    }
    const versionTags = sortImageVersions(tags);
    let seeded = false;
    let published: string[] = [];
    const before = await this.state();
    if (!before?.seeded) {
      const imported = await this.versions.importKnown(versionTags, REGISTRY_ACTOR, this.source);
      seeded = !imported.alreadyImported;
      if (seeded) this.log.info('registry tags imported as known', { source: this.source, added: imported.added });
    }
    if (!seeded) published = await this.publishNew(versionTags);
    await this.record(startedAt, (s) => ({
      ...s,
      seeded: true,
      consecutiveFailures: 0,
      nextPollAt: startedAt + this.options.pollMs,
      lastSuccessAt: iso(this.clock.now()),
      tagCount: versionTags.length,
      lastError: undefined,
      backoffUntil: undefined,
    }));
    return { ok: true, seeded, published, versionTags: versionTags.length };
  }

  /** Oldest first, so each event's `isLatest` and `previousLatest` read naturally. */
  private async publishNew(versionTags: string[]): Promise<string[]> {
    const known = new Set((await this.versions.all()).map((v) => v.tag));
    const published: string[] = [];
    for (const tag of versionTags.filter((t) => !known.has(t))) {
      const { created } = await this.versions.publish(tag, undefined, REGISTRY_ACTOR);
      if (!created) continue; // another replica was first
      published.push(tag);
      this.log.info('new image version found in the registry', { tag, source: this.source });
    }
    return published;
  }

  private async failed(error: unknown, startedAt: number): Promise<PollResult> {
    const problem =
      error instanceof RegistryError ? error : new RegistryError(`unexpected: ${(error as Error).message}`, true);
    let retryInMs = 0;
    const stored = await this.record(startedAt, (s) => {
      const failures = s.consecutiveFailures + 1;
      retryInMs = this.backoff(failures, problem.retryAfterMs);
      return {
        ...s,
        consecutiveFailures: failures,
        nextPollAt: this.clock.now() + retryInMs,
        backoffUntil: iso(this.clock.now() + retryInMs),
        lastError: {
          message: problem.message,
          ...(problem.status ? { status: problem.status } : {}),
          at: iso(startedAt),
        },
      };
    });
    const fields = {
      source: this.source,
      error: problem.message,
      status: problem.status,
      failures: stored?.consecutiveFailures,
      retryInSeconds: Math.round(retryInMs / 1000),
    };
    // A transient failure is a warning; one that needs a person (401, 404, a broken registry) is an error.
    if (problem.retryable) this.log.warn('registry poll failed; backing off', fields);
    else this.log.error('registry poll failed; check the registry settings', fields);
    return { ok: false, error: problem.message, retryInMs };
  }

  /** Exponential with jitter, never shorter than Retry-After, never longer than the cap. */
  private backoff(failures: number, retryAfterMs: number | undefined): number {
    const policy = { baseMs: this.options.backoffBaseMs ?? 30_000, maxMs: this.options.maxBackoffMs ?? 600_000 };
    return backoffDelay(policy, failures, retryAfterMs, this.options.random);
  }

  private initial(): RegistryWatcherState {
    return { source: this.source, seeded: false, nextPollAt: 0, consecutiveFailures: 0 };
  }

  /** Writes the outcome of a poll and gives the lease back if it is ours. */
  private record(startedAt: number, change: (s: RegistryWatcherState) => RegistryWatcherState) {
    return this.states.update(this.id, (current) => {
      const next = change({ ...(current ?? this.initial()), lastPollAt: iso(startedAt) });
      const { lease, ...rest } = next;
      return lease && lease.owner !== this.owner ? next : rest;
    });
  }
}
