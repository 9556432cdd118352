/**
 * File-backed Storage that is safe for several processes sharing one data folder (one host).
 *
 * Each key is a folder (`runtimes/chat-dev` → `runtimes/chat-dev.k/`) holding its current
 * version; fileVersions.ts has the compare-and-swap that replaces it. A key that does not exist
 * yet appears by renaming a folder prepared under `.staging/` into place: the rename fails when
 * the folder exists and is not empty, so of concurrent creators exactly one wins. A deleted key's
 * folder is removed at once, so the data folder holds only live keys, and the cost of a read or
 * write does not grow with the number of writes a key has seen.
 */
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import {
  convertLegacy,
  type FolderState,
  inspect,
  isCode,
  newId,
  publish,
  readVersion,
  removeFolder,
  removeJunk,
  swap,
} from './fileVersions';
import {
  checkKey,
  EtagConflictError,
  IF_NONE_MATCH,
  InvalidKeyError,
  type Storage,
  type StoreItem,
  type StoreItems,
  StorageUnavailableError,
} from './storage';

export interface FileStorageOptions {
  /** Clock for housekeeping (epoch ms); tests move it. */
  now?: () => number;
  /** A staging folder older than this was left by a killed writer and is removed. */
  stagingGraceMs?: number;
}

/** Folders are named by the key's segments; one name may take at most 255 bytes. */
const MAX_SEGMENT_BYTES = 253;
const ATTEMPTS = 100;

export class FileStorage implements Storage {
  private readonly staging: string;
  private readonly now: () => number;
  private readonly stagingGraceMs: number;
  private nextStagingSweep = 0;

  constructor(
    private readonly root: string,
    options: FileStorageOptions = {},
  ) {
    this.root = path.resolve(root);
    this.staging = path.join(this.root, '.staging');
    this.now = options.now ?? Date.now;
    this.stagingGraceMs = options.stagingGraceMs ?? 10 * 60_000;
  }

  async read(keys: string[]): Promise<StoreItems> {
    const dirs = keys.map((key) => this.keyDir(key));
    const out: StoreItems = {};
    await outages(() =>
      Promise.all(
        keys.map(async (key, i) => {
          const item = await this.readOne(key, dirs[i]);
          if (item) out[key] = item;
        }),
      ),
    );
    return out;
  }

  async write(changes: StoreItems): Promise<void> {
    const dirs = Object.keys(changes).map((key) => this.keyDir(key));
    let i = 0;
    for (const [key, item] of Object.entries(changes)) {
      const { eTag, ...body } = item;
      await outages(() => this.writeOne(key, dirs[i++], JSON.stringify(body), eTag));
    }
  }

  async delete(keys: string[]): Promise<void> {
    const dirs = keys.map((key) => this.keyDir(key));
    for (let i = 0; i < keys.length; i++) await outages(() => this.writeOne(keys[i], dirs[i], undefined, undefined));
  }

  list(prefix: string): Promise<string[]> {
    return outages(() => this.listKeys(prefix));
  }

  private async listKeys(prefix: string): Promise<string[]> {
    const cut = prefix.lastIndexOf('/');
    const folderKey = prefix.slice(0, Math.max(cut, 0));
    const start = prefix.slice(cut + 1);
    const segments = folderKey.split('/');
    if (cut >= 0 && segments.some((s) => s === '')) return []; // no key has an empty segment
    const folder = path.join(this.root, ...(cut >= 0 ? segments.map(encodeSegment) : []));
    let names: string[];
    try {
      names = await fs.readdir(folder);
    } catch (error) {
      if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return [];
      throw error;
    }
    const keys: string[] = [];
    await Promise.all(
      names
        .filter((name) => name.endsWith('.k'))
        .map(async (name) => {
          const segment = decodedSegment(name.slice(0, -2));
          if (segment === undefined) return; // not a folder this storage made
          if (!segment.startsWith(start)) return;
          const dir = path.join(folder, name);
          const state = await this.settled(dir);
          if (state.kind === 'live' || (state.kind === 'legacy' && !state.deleted))
            keys.push(cut >= 0 ? `${folderKey}/${segment}` : segment);
          else if (state.kind === 'absent') await this.clearAbsent(dir, state.names);
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
    checkKey(key);
    const segments = key.split('/').map(encodeSegment);
    const tooLong = segments.find((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES);
    if (tooLong)
      throw new InvalidKeyError(
        key,
        `a segment takes ${Buffer.byteLength(tooLong)} bytes as a file name (at most 253)`,
      );
    const last = `${segments.pop()}.k`;
    return path.join(this.root, ...segments, last);
  }

  /** The folder's state, looked at again while it changes under us. */
  private async settled(dir: string): Promise<FolderState> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const state = await inspect(dir);
      if (state.kind !== 'racing') return state;
    }
    throw new Error(`storage folder ${dir} kept changing while it was read`);
  }

  private async readOne(key: string, dir: string): Promise<StoreItem | undefined> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const state = await this.settled(dir);
      if (state.kind === 'legacy') {
        await convertLegacy(dir, state);
        continue;
      }
      if (state.kind === 'absent') await this.clearAbsent(dir, state.names);
      if (state.kind !== 'live') return undefined;
      const item = await readVersion(dir, state.version);
      if (item) return item; // else replaced between the listing and the read: look again
    }
    throw new Error(`storage read of ${key} kept racing with writers`);
  }

  /** Writes `body`, or deletes the key when `body` is undefined, under the eTag rules. */
  private async writeOne(key: string, dir: string, body: string | undefined, eTag: string | undefined): Promise<void> {
    const unconditional = eTag === undefined || eTag === '*';
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const state = await this.settled(dir);
      if (state.kind === 'legacy') {
        await convertLegacy(dir, state);
        continue;
      }
      if (state.kind === 'live' && !state.version.published) {
        await publish(dir, state.version); // a writer committed and has not published (or died)
        continue;
      }
      const current = state.kind === 'live' ? state.version : undefined;
      if (body !== undefined && !unconditional) {
        if (eTag === IF_NONE_MATCH ? current !== undefined : current?.eTag !== eTag) throw new EtagConflictError(key);
      }
      if (state.kind === 'live' && state.junk.length > 0) await removeJunk(dir, state.junk);
      if (!current) {
        if (state.kind === 'absent') await removeFolder(dir, state.names, this.root);
        if (body === undefined || (await this.createFolder(dir, body))) return;
        continue; // another writer created the key first: decide again
      }
      if (await swap(dir, current, body)) {
        if (body === undefined) await this.clearDeleted(dir);
        return;
      }
      // Another writer got there first. A conditional write has lost; the others try again.
      if (body !== undefined && !unconditional) throw new EtagConflictError(key);
    }
    throw new Error(`storage write of ${key} kept racing with writers`);
  }

  private async clearDeleted(dir: string): Promise<void> {
    const state = await this.settled(dir);
    if (state.kind === 'absent') await removeFolder(dir, state.names, this.root);
  }

  /**
   * A folder without a value that a reader comes across (its deleter was killed before it cleared
   * the folder away) is removed then, so that deleted keys do not leave folders behind.
   */
  private async clearAbsent(dir: string, names: string[]): Promise<void> {
    await removeFolder(dir, names, this.root).catch(() => undefined); // housekeeping: a writer will retry
  }

  /** Creates the key's folder with its first version; false when a folder with a value is there. */
  private async createFolder(dir: string, body: string): Promise<boolean> {
    void this.sweepStaging();
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const staged = path.join(this.staging, newId());
      try {
        await fs.mkdir(staged, { recursive: true });
        await fs.writeFile(path.join(staged, `1-${newId()}.json`), body);
        await fs.mkdir(path.dirname(dir), { recursive: true });
        await fs.rename(staged, dir); // replaces an empty folder; refuses one that holds anything
        return true;
      } catch (error) {
        if (isCode(error, 'ENOTEMPTY') || isCode(error, 'EEXIST')) return false;
        // ENOENT: the parent was removed as it emptied, or a sweep took the staged folder: again.
        if (!isCode(error, 'ENOENT')) throw error;
      } finally {
        await fs.rm(staged, { recursive: true, force: true }).catch(() => undefined);
      }
    }
    throw new Error(`storage could not create ${dir}: its folders kept disappearing`);
  }

  /** Removes staging folders that killed writers left behind, at most once per grace period. */
  private async sweepStaging(): Promise<void> {
    const now = this.now();
    if (now < this.nextStagingSweep) return;
    this.nextStagingSweep = now + this.stagingGraceMs / 2;
    try {
      for (const name of await fs.readdir(this.staging)) {
        const folder = path.join(this.staging, name);
        const { mtimeMs } = await fs.stat(folder);
        if (now - mtimeMs > this.stagingGraceMs) await fs.rm(folder, { recursive: true, force: true });
      }
    } catch {
      // Housekeeping: a failure here loses nothing, and the next sweep tries again.
    }
  }
}

/**
 * The disk's failures that are not the caller's doing and pass (a full disk, an I/O error, a
 * read-only remount, too many open files) become StorageUnavailableError, as a blob outage does.
 */
const OUTAGE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY']);

async function outages<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const code = (error as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && OUTAGE_CODES.has(code))
      throw new StorageUnavailableError(`file storage failed: ${(error as Error).message}`, 10, { cause: error });
    throw error;
  }
}

function decodedSegment(name: string): string | undefined {
  try {
    return decodeURIComponent(name);
  } catch {
    return undefined;
  }
}

/** A key segment as a file name: reversible, and never `.`, `..` or a name with a special meaning. */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/\./g, '%2E');
}
