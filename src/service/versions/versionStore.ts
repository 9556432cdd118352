/**
 * The known base-image versions: the catalogue file in the repo, plus versions published while the
 * service runs (admin route or `npm run publish-version`), kept in storage so that every replica
 * sees them. A registry watcher can publish through the same `publish` call.
 *
 * Reads are served from a parsed, sorted copy: every read of a runtime asks for the latest version,
 * and neither a storage read nor a sort belongs on that path. This replica's own publishes refresh
 * the copy at once; the read model refreshes it when another replica's `image.released` event
 * arrives, and now and then for versions imported silently (`importKnown`).
 */
import { readFileSync } from 'node:fs';
import { type Clock, iso } from '../../clock';
import { IMAGE_REPOSITORY, isImageVersion, sortImageVersions } from '../../domain/imageVersion';
import type { ImageVersionInfo, Person } from '../../domain/runtime';
import { fieldError } from '../../errors';
import { Collection, UNCHANGED } from '../../storage/collection';
import type { Storage } from '../../storage/storage';
import type { EventLog } from '../events/eventLog';

interface Catalogue {
  repository: string;
  versions: ImageVersionInfo[];
}

interface Published {
  versions: (ImageVersionInfo & { publishedBy: Person })[];
  /** Sources (e.g. a registry repository) whose existing tags were imported once, without events. */
  importedFrom?: string[];
}

/** The versions as read at one moment, parsed and sorted once. */
interface Known {
  all: ImageVersionInfo[];
  tags: Set<string>;
  latest?: string;
}

export class VersionStore {
  private readonly published: Collection<Published>;
  private readonly catalogue: Catalogue;
  private known?: Promise<Known>;

  constructor(
    storage: Storage,
    catalogueFile: string,
    private readonly clock: Clock,
    private readonly events: EventLog,
  ) {
    this.published = new Collection(storage, 'image-versions');
    const parsed = JSON.parse(readFileSync(catalogueFile, 'utf8')) as Partial<Catalogue>;
    this.catalogue = {
      repository: parsed.repository ?? IMAGE_REPOSITORY,
      versions: (parsed.versions ?? []).filter((v) => isImageVersion(v.tag)),
    };
  }

  get repository(): string {
    return this.catalogue.repository;
  }

  /** Every known version, oldest first. */
  async all(): Promise<ImageVersionInfo[]> {
    return (await this.current()).all;
  }

  async latest(): Promise<string | undefined> {
    return (await this.current()).latest;
  }

  /** A tag this replica has not seen yet may have been published by another one: look again once. */
  async has(tag: string): Promise<boolean> {
    if ((await this.current()).tags.has(tag)) return true;
    await this.refresh();
    return (await this.current()).tags.has(tag);
  }

  /** Reads the published versions again; true when the latest version changed. */
  async refresh(): Promise<boolean> {
    const before = this.known ? (await this.known.catch(() => undefined))?.latest : undefined;
    const next = this.load();
    this.known = next;
    return (await next).latest !== before;
  }

  private current(): Promise<Known> {
    this.known ??= this.load();
    return this.known;
  }

  private load(): Promise<Known> {
    const loading = this.read();
    // A failed read is not remembered: the next caller tries again.
    loading.catch(() => {
      if (this.known === loading) this.known = undefined;
    });
    return loading;
  }

  private async read(): Promise<Known> {
    const extra = (await this.published.get('published'))?.versions ?? [];
    const byTag = new Map<string, ImageVersionInfo>();
    for (const v of [...this.catalogue.versions, ...extra]) {
      byTag.set(v.tag, {
        tag: v.tag,
        ...(v.notes ? { notes: v.notes } : {}),
        ...(v.publishedOn ? { publishedOn: v.publishedOn } : {}),
      });
    }
    const all = sortImageVersions(byTag.keys()).map((tag) => Object.freeze(byTag.get(tag)!));
    return { all: Object.freeze(all) as ImageVersionInfo[], tags: new Set(byTag.keys()), latest: all.at(-1)?.tag };
  }

  /** Adds a version; publishing a known tag again changes nothing and reports created: false. */
  async publish(
    tag: string,
    notes: string | undefined,
    actor: Person,
  ): Promise<{ created: boolean; version: ImageVersionInfo }> {
    if (!isImageVersion(tag)) {
      throw fieldError(
        'tag',
        `"${tag.slice(0, 40)}" is not an image version; tags look like 20251211.v2 (YYYYMMDD.vN).`,
      );
    }
    await this.refresh(); // publishing is rare: decide on what storage holds now, not on this copy
    const previous = await this.latest();
    const existing = (await this.all()).find((v) => v.tag === tag);
    if (existing) return { created: false, version: existing };
    const version = { tag, publishedOn: iso(this.clock.now()), ...(notes ? { notes } : {}), publishedBy: actor };
    let created = false;
    await this.published.update('published', (current) => {
      // Set on every attempt: a retry after an eTag conflict may find that another replica added it.
      created = !current?.versions.some((v) => v.tag === tag);
      if (!created) return UNCHANGED;
      return { ...current, versions: [...(current?.versions ?? []), version] };
    });
    const { publishedBy: _p, ...info } = version;
    await this.refresh();
    if (created) {
      const latest = await this.latest();
      await this.events.append('image.released', {
        tag,
        repository: this.repository,
        previousLatest: previous,
        isLatest: latest === tag,
        notes: notes ?? null,
      });
    }
    return { created, version: info };
  }

  /**
   * Adds versions that already existed somewhere (a registry's tags when a watcher first sees it)
   * without any event, so that they do not flood subscribers. Tags that are known or are not
   * versions are skipped. With `source`, this happens at most once per source, atomically with
   * the versions: a second call reports `alreadyImported` and adds nothing, and its caller should
   * publish the tags instead.
   */
  async importKnown(
    tags: Iterable<string>,
    actor: Person,
    source?: string,
  ): Promise<{ added: string[]; alreadyImported: boolean }> {
    const catalogued = new Set(this.catalogue.versions.map((v) => v.tag));
    const candidates = sortImageVersions(tags).filter((t) => !catalogued.has(t));
    let added: string[] = [];
    let alreadyImported = false;
    await this.published.update('published', (current) => {
      alreadyImported = source !== undefined && (current?.importedFrom ?? []).includes(source);
      const known = new Set(current?.versions.map((v) => v.tag));
      added = alreadyImported ? [] : candidates.filter((t) => !known.has(t));
      if (alreadyImported || (added.length === 0 && source === undefined)) return UNCHANGED;
      return {
        ...current,
        versions: [...(current?.versions ?? []), ...added.map((tag) => ({ tag, publishedBy: actor }))],
        ...(source !== undefined ? { importedFrom: [...(current?.importedFrom ?? []), source] } : {}),
      };
    });
    if (added.length) await this.refresh();
    return { added, alreadyImported };
  }
}
