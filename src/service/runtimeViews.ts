/**
 * The read side of the service: runtime records become wire Runtimes, with the fields that are
 * computed at read time (latest version, outdated, idle shutdown time), plus filters, paging, the
 * on-call summary and the versions view. Everything is answered from the read model's projection:
 * no request reads storage, so a page or the summary costs the same on file storage as on Blob.
 */
import { type Clock, iso } from '../clock';
import { isOutdated, newerThan } from '../domain/imageVersion';
import { type Page, RUNTIME_NAME, type Runtime, type VersionCheck, type VersionsReport } from '../domain/runtime';
import { buildSummary, summaryValidUntil } from '../domain/summary';
import { badRequest, notFound } from '../errors';
import { represent, type Representation } from './http/conditional';
import { type RuntimeRecord, runtimeKey } from './model';
import type { ProjectedRuntime } from './readModel/projection';
import type { RuntimeReadModel } from './readModel/readModel';
import type { VersionStore } from './versions/versionStore';

export interface ListQuery {
  status?: string[];
  type?: string[];
  pageSize: number;
  pageToken?: string;
}

/**
 * The summary is rebuilt when a runtime changes, when time moves a runtime into or out of one of
 * its sections, and at least this often, so that its `generatedAt` ("as of") stays recent.
 */
const SUMMARY_MAX_AGE_MS = 30_000;

interface CachedSummary {
  rep: Representation;
  version: number;
  latest: string | undefined;
  builtAt: number;
  validUntil: number;
}

export class RuntimeViews {
  private summaryCache?: CachedSummary;

  constructor(
    private readonly model: RuntimeReadModel,
    private readonly versions: VersionStore,
    private readonly clock: Clock,
  ) {}

  /** The newest service event the answers reflect, for clients that follow the event log. */
  lastEventId(): string | undefined {
    return this.model.lastEventId();
  }

  /** The on-call summary of every runtime, serialised, with its ETag. */
  async summary(): Promise<Representation> {
    this.model.assertCurrent();
    const latest = await this.versions.latest();
    const now = this.clock.now();
    const version = this.model.projection.version;
    const c = this.summaryCache;
    if (c && c.version === version && c.latest === latest && now >= c.builtAt && now < c.validUntil) return c.rep;
    const runtimes = Array.from(this.model.projection.all(), (e) => toRuntime(e.record, latest));
    const rep = represent(buildSummary(runtimes, now));
    this.summaryCache = {
      rep,
      version,
      latest,
      builtAt: now,
      validUntil: summaryValidUntil(runtimes, now, SUMMARY_MAX_AGE_MS),
    };
    return rep;
  }

  /** One page, in key (name) order; a page costs the same at 100 runtimes as at 10,000. */
  async list(query: ListQuery): Promise<Page<Runtime>> {
    this.model.assertCurrent();
    const latest = await this.versions.latest();
    const after = query.pageToken ? decodeToken(query.pageToken) : '';
    const statuses = query.status?.map((s) => s.toLowerCase());
    const matches = (r: RuntimeRecord) =>
      (!statuses || statuses.includes(String(r.status).toLowerCase())) && (!query.type || query.type.includes(r.type));
    const page: ProjectedRuntime[] = [];
    let more = false;
    for (const entry of this.model.projection.after(after)) {
      if (!matches(entry.record)) continue;
      if (page.length === query.pageSize) {
        more = true;
        break;
      }
      page.push(entry);
    }
    return {
      value: page.map((e) => toRuntime(e.record, latest)),
      ...(more ? { nextPageToken: encodeToken(page.at(-1)!.key) } : {}),
    };
  }

  async get(name: string): Promise<{ runtime: Runtime; eTag: string }> {
    const entry = this.find(name);
    return { runtime: toRuntime(entry.record, await this.versions.latest()), eTag: entry.eTag };
  }

  async versionCheck(name: string): Promise<VersionCheck> {
    const { record } = this.find(name);
    const all = await this.versions.all();
    const latest = all.at(-1)?.tag;
    const newer = new Set(
      newerThan(
        record.imageVersion,
        all.map((v) => v.tag),
      ),
    );
    return {
      name: record.name,
      ...(record.imageVersion ? { imageVersion: record.imageVersion } : {}),
      ...(latest ? { latestVersion: latest } : {}),
      outdated: isOutdated(record.imageVersion, latest),
      newer: all.filter((v) => newer.has(v.tag)),
    };
  }

  async report(): Promise<VersionsReport> {
    this.model.assertCurrent();
    const all = await this.versions.all();
    const tags = all.map((v) => v.tag);
    const latest = tags.at(-1);
    const outdated = Array.from(this.model.records())
      .filter((r) => isOutdated(r.imageVersion, latest))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((r) => ({
        name: r.name,
        type: r.type,
        imageVersion: r.imageVersion,
        newer: newerThan(r.imageVersion, tags),
      }));
    return { repository: this.versions.repository, ...(latest ? { latest } : {}), versions: all, outdated };
  }

  /**
   * Reads one runtime again from storage. For a client whose If-Match was refused: the ETag it had
   * came from here, and a write that no event announced (a crash's leftovers) may have moved it.
   */
  async refresh(name: string): Promise<void> {
    if (RUNTIME_NAME.test(name)) await this.model.refresh([runtimeKey(name)]);
  }

  private find(name: string): ProjectedRuntime {
    this.model.assertCurrent();
    const entry = RUNTIME_NAME.test(name) ? this.model.entry(runtimeKey(name)) : undefined;
    if (!entry) throw notFound(`There is no runtime named ${name}.`);
    return entry;
  }
}

export function toRuntime(record: RuntimeRecord, latest: string | undefined): Runtime {
  const idleShutdownAt =
    record.type === 'automatic' && record.status === 'Running' && record.lastUsedOn && record.idleTimeMinutes
      ? iso(Date.parse(record.lastUsedOn) + record.idleTimeMinutes * 60_000)
      : undefined;
  return {
    ...record,
    ...(latest ? { latestVersion: latest } : {}),
    outdated: isOutdated(record.imageVersion, latest),
    ...(idleShutdownAt ? { idleShutdownAt } : {}),
  };
}

function encodeToken(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (!key || !/^[a-z0-9_-]+$/.test(key))
    throw badRequest('pageToken is not valid; use the nextPageToken of a previous page.');
  return key;
}
