/**
 * File-backed Storage that is safe for several processes sharing one data folder.
 *
 * Each key is a folder of numbered versions (`3.json`, `4.json`, or `5.del` for a deletion). A
 * write of version N+1 hard-links a fully written temp file into place: `link` fails when the
 * name exists, so of concurrent writers holding eTag N exactly one wins, without lock files that
 * a `kill -9` could leave behind. The eTag is the version number; it never repeats for a key, even
 * across delete and re-create, so a stale eTag can never match by accident.
 */
import { randomUUID } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import {
  EtagConflictError,
  IF_NONE_MATCH,
  type Storage,
  type StoreItem,
  type StoreItems,
  writeAllowed,
} from './storage';

interface Version {
  n: number;
  deleted: boolean;
}

export class FileStorage implements Storage {
  constructor(private readonly root: string) {}

  async read(keys: string[]): Promise<StoreItems> {
    const out: StoreItems = {};
    await Promise.all(
      keys.map(async (key) => {
        const item = await this.readOne(key);
        if (item) out[key] = item;
      }),
    );
    return out;
  }

  async write(changes: StoreItems): Promise<void> {
    for (const [key, item] of Object.entries(changes)) {
      await this.writeOne(key, item, false);
    }
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) await this.writeOne(key, {}, true);
  }

  async list(prefix: string): Promise<string[]> {
    const cut = prefix.lastIndexOf('/');
    const folderKey = cut >= 0 ? prefix.slice(0, cut) : '';
    const start = prefix.slice(cut + 1);
    const folder = path.join(this.root, ...folderKey.split('/').filter(Boolean).map(encodeSegment));
    let names: string[];
    try {
      names = await fs.readdir(folder);
    } catch (error) {
      if (isCode(error, 'ENOENT')) return [];
      throw error;
    }
    const keys: string[] = [];
    await Promise.all(
      names
        .filter((name) => name.endsWith('.k'))
        .map(async (name) => {
          const segment = decodeURIComponent(name.slice(0, -2));
          if (!segment.startsWith(start)) return;
          const latest = await this.latest(path.join(folder, name));
          if (latest && !latest.deleted) keys.push(folderKey ? `${folderKey}/${segment}` : segment);
        }),
    );
    return keys.sort();
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    try {
      await fs.mkdir(this.root, { recursive: true });
      await fs.access(this.root, constants.W_OK);
      return { ok: true, detail: `file storage at ${this.root}` };
    } catch (error) {
      return { ok: false, detail: `file storage at ${this.root} is not writable: ${(error as Error).message}` };
    }
  }

  private keyDir(key: string): string {
    if (!key || key.startsWith('/') || key.endsWith('/') || key.includes('//')) {
      throw new Error(`invalid storage key: ${JSON.stringify(key)}`);
    }
    const segments = key.split('/').map(encodeSegment);
    const last = `${segments.pop()}.k`;
    return path.join(this.root, ...segments, last);
  }

  private async latest(dir: string): Promise<Version | undefined> {
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch (error) {
      if (isCode(error, 'ENOENT')) return undefined;
      throw error;
    }
    let best: Version | undefined;
    for (const name of names) {
      const match = /^(\d+)\.(json|del)$/.exec(name);
      if (!match) continue;
      const n = Number(match[1]);
      if (!best || n > best.n) best = { n, deleted: match[2] === 'del' };
    }
    return best;
  }

  private async readOne(key: string): Promise<StoreItem | undefined> {
    const dir = this.keyDir(key);
    // A concurrent writer may prune the version we picked between readdir and readFile: retry.
    for (let attempt = 0; attempt < 20; attempt++) {
      const latest = await this.latest(dir);
      if (!latest || latest.deleted) return undefined;
      try {
        const text = await fs.readFile(path.join(dir, `${latest.n}.json`), 'utf8');
        if (text === '') continue; // pruned between readdir and read: a newer version exists
        return { ...(JSON.parse(text) as StoreItem), eTag: String(latest.n) };
      } catch (error) {
        if (!isCode(error, 'ENOENT')) throw error;
      }
    }
    throw new Error(`storage read of ${key} kept racing with writers`);
  }

  private async writeOne(key: string, item: StoreItem, deleting: boolean): Promise<void> {
    const dir = this.keyDir(key);
    const { eTag, ...body } = item;
    await fs.mkdir(dir, { recursive: true });
    // Unconditional writes and deletes retry on a lost race; conditional ones report it.
    const conditional = !deleting && eTag !== undefined && eTag !== '*';
    for (let attempt = 0; attempt < 50; attempt++) {
      const latest = await this.latest(dir);
      const stored = latest && !latest.deleted ? String(latest.n) : undefined;
      if (deleting && stored === undefined) return;
      if (!deleting && !writeAllowed(eTag === IF_NONE_MATCH ? IF_NONE_MATCH : eTag, stored)) {
        throw new EtagConflictError(key);
      }
      const next = (latest?.n ?? 0) + 1;
      const target = path.join(dir, `${next}.${deleting ? 'del' : 'json'}`);
      const temp = path.join(dir, `.tmp-${randomUUID()}`);
      await fs.writeFile(temp, deleting ? '' : JSON.stringify(body));
      try {
        await fs.link(temp, target);
        await fs.unlink(temp).catch(() => undefined);
        void this.prune(dir, next);
        return;
      } catch (error) {
        await fs.unlink(temp).catch(() => undefined);
        if (!isCode(error, 'EEXIST')) throw error;
        if (conditional || eTag === IF_NONE_MATCH) throw new EtagConflictError(key);
      }
    }
    throw new Error(`storage write of ${key} kept racing with writers`);
  }

  /**
   * Keeps the newest two versions and empties older ones. An emptied version keeps its file name,
   * because a writer that read an old version and stalled must still find that name taken when it
   * tries to link its write: freeing the number would let a stale write "succeed" unseen. Only
   * placeholders older than PLACEHOLDER_TTL_MS are deleted, far beyond any write's duration.
   */
  private async prune(dir: string, newest: number): Promise<void> {
    try {
      const now = Date.now();
      for (const name of await fs.readdir(dir)) {
        const match = /^(\d+)\.(json|del)$/.exec(name);
        if (!match || Number(match[1]) >= newest - 1) continue;
        const file = path.join(dir, name);
        const stat = await fs.stat(file);
        if (stat.size > 0) await fs.truncate(file, 0);
        else if (now - stat.mtimeMs > PLACEHOLDER_TTL_MS) await fs.unlink(file);
      }
    } catch {
      // Pruning is housekeeping; a failure here loses nothing.
    }
  }
}

const PLACEHOLDER_TTL_MS = 10 * 60_000;

function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/\./g, '%2E');
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === code;
}
