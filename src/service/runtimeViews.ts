/**
 * The read side of the service: runtime records become wire Runtimes, with the fields that are
 * computed at read time (latest version, outdated, idle shutdown time), plus filters and paging.
 */
import { type Clock, iso } from '../clock';
import { isOutdated, newerThan } from '../domain/imageVersion';
import {
  type ImageVersionInfo,
  type Page,
  RUNTIME_NAME,
  type Runtime,
  type VersionCheck,
  type VersionsReport,
} from '../domain/runtime';
import { buildSummary, type OnCallSummary } from '../domain/summary';
import { badRequest, notFound } from '../errors';
import { type Stored, withoutEtag } from '../storage/collection';
import { type RuntimeRecord, runtimeKey } from './model';
import type { OperationEngine } from './operations/engine';
import type { VersionStore } from './versions/versionStore';

export interface ListQuery {
  status?: string[];
  type?: string[];
  pageSize: number;
  pageToken?: string;
}

export class RuntimeViews {
  constructor(
    private readonly engine: OperationEngine,
    private readonly versions: VersionStore,
    private readonly clock: Clock,
  ) {}

  /** The on-call summary of every runtime, built here so that clients need not fetch them all. */
  async summary(): Promise<OnCallSummary> {
    const latest = await this.versions.latest();
    const runtimes = (await this.engine.runtimes.all()).map((r) => toRuntime(withoutEtag(r), latest));
    return buildSummary(runtimes, this.clock.now());
  }

  /**
   * One page, in name order. Records are keyed by their runtime key, so the page is found from the
   * sorted keys and only as many records are read as the page needs (all of them only when a
   * filter matches few): a page costs the same at 100 runtimes as at 10,000.
   */
  async list(query: ListQuery): Promise<Page<Runtime>> {
    const latest = await this.versions.latest();
    const after = query.pageToken ? decodeToken(query.pageToken) : '';
    const statuses = query.status?.map((s) => s.toLowerCase());
    const matches = (r: RuntimeRecord) =>
      (!statuses || statuses.includes(String(r.status).toLowerCase())) && (!query.type || query.type.includes(r.type));
    // Code-unit order, the same order the cursor compares in (localeCompare would disagree on - and _).
    const keys = (await this.engine.runtimes.ids()).filter((k) => k > after).sort();
    const found: RuntimeRecord[] = [];
    const chunk = Math.max(50, query.pageSize + 1);
    for (let i = 0; i < keys.length && found.length <= query.pageSize; i += chunk) {
      const records = await this.engine.runtimes.getMany(keys.slice(i, i + chunk));
      found.push(...records.filter(matches).map((r) => withoutEtag(r)));
    }
    const page = found.slice(0, query.pageSize);
    const more = found.length > page.length;
    return {
      value: page.map((r) => toRuntime(r, latest)),
      ...(more ? { nextPageToken: encodeToken(runtimeKey(page.at(-1)!.name)) } : {}),
    };
  }

  async get(name: string): Promise<{ runtime: Runtime; eTag: string }> {
    const record = await this.find(name);
    return { runtime: toRuntime(withoutEtag(record), await this.versions.latest()), eTag: record.eTag };
  }

  async versionCheck(name: string): Promise<VersionCheck> {
    const record = await this.find(name);
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
      newer: all.filter((v: ImageVersionInfo) => newer.has(v.tag)),
    };
  }

  async report(): Promise<VersionsReport> {
    const all = await this.versions.all();
    const tags = all.map((v) => v.tag);
    const latest = tags.at(-1);
    const outdated = (await this.engine.runtimes.all())
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

  private async find(name: string): Promise<Stored<RuntimeRecord>> {
    const record = RUNTIME_NAME.test(name) ? await this.engine.runtimes.get(runtimeKey(name)) : undefined;
    if (!record) throw notFound(`There is no runtime named ${name}.`);
    return record;
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
