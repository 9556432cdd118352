/**
 * One key's folder in FileStorage, and the compare-and-swap that replaces its version.
 *
 * In the steady state the folder holds one file, the current version `<n>-<id>.json`; its eTag is
 * `<n>-<id>`. `id` is random, so an eTag never repeats and no file name is ever used twice: an
 * operation that acts on a name it saw long ago can only find that name gone.
 *
 * Replacing version `<n>-<id>` by writer `<me>`:
 *  1. write the new content as a candidate, `<n+1>-<me>.cand`;
 *  2. rename `<n>-<id>.json` to `<n>-<id>.to-<me>`. Of all writers holding that eTag, exactly one
 *     rename finds the file; the others get ENOENT and conflict. This rename is the commit;
 *  3. rename the candidate to `<n+1>-<me>.json`, and remove the record `<n>-<id>.to-<me>`.
 * Anyone who finds a record whose candidate is not published yet (its writer died between 2 and 3)
 * reads the candidate as the current version, and a writer publishes it before it swaps.
 * A delete renames the version to `<n>-<id>.deleted`; the folder is then removed.
 *
 * Nothing is locked, so a `kill -9` at any point blocks nobody, and whatever a dead writer left
 * (a candidate, a record) is recognised as such and removed by the next writer.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { StoreItem } from './storage';

export interface Version {
  n: number;
  eTag: string;
  /** The file that holds the content: the published version, or a committed candidate. */
  file: string;
  published: boolean;
}

export type FolderState =
  /** No folder: the key does not exist. */
  | { kind: 'missing' }
  /** The folder changed while it was read: look again. */
  | { kind: 'racing' }
  /** The key holds a value. `junk` lists what dead or losing writers left behind. */
  | { kind: 'live'; version: Version; junk: string[] }
  /** The folder holds no value: a delete not yet cleared away, or a dead writer's leftovers. */
  | { kind: 'absent'; names: string[] }
  /** A folder written by the earlier layout (`<n>.json`, `<n>.del`); writers convert it. */
  | { kind: 'legacy'; top: string; n: number; deleted: boolean; others: string[] };

interface Entry {
  name: string;
  n: number;
  id: string;
  type: 'json' | 'cand' | 'deleted' | 'to';
  next?: string;
}

const ENTRY = /^(\d{1,15})-([0-9a-f]{16})\.(json|cand|deleted|to-([0-9a-f]{16}))$/;
const LEGACY = /^(\d{1,15})\.(json|del)$/;

export function newId(): string {
  return randomBytes(8).toString('hex');
}

export async function inspect(dir: string): Promise<FolderState> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return { kind: 'missing' };
    throw error;
  }
  const entries: Entry[] = [];
  const legacy: { name: string; n: number; deleted: boolean }[] = [];
  for (const name of names) {
    const match = ENTRY.exec(name);
    if (match) {
      const type = match[3].startsWith('to-') ? 'to' : (match[3] as Entry['type']);
      entries.push({ name, n: Number(match[1]), id: match[2], type, ...(match[4] ? { next: match[4] } : {}) });
      continue;
    }
    const old = LEGACY.exec(name);
    if (old) legacy.push({ name, n: Number(old[1]), deleted: old[2] === 'del' });
  }
  const tops = entries.filter((e) => e.type !== 'cand');
  if (tops.length === 0 && legacy.length > 0) {
    const top = legacy.reduce((a, b) => (b.n > a.n ? b : a));
    const others = legacy.filter((l) => l !== top).map((l) => l.name);
    return { kind: 'legacy', top: top.name, n: top.n, deleted: top.deleted, others };
  }
  const leftovers = names.filter((n) => n.startsWith('.tmp-') || LEGACY.test(n)); // the earlier layout's
  const top = tops.reduce<Entry | undefined>((a, b) => (!a || b.n > a.n ? b : a), undefined);
  if (!top || top.type === 'deleted') return { kind: 'absent', names };
  // A candidate can commit only while the version it replaces is published: candidates for the
  // top's number or below, and rivals of the top record's candidate, can never commit. Candidates
  // for the next number may belong to writers still at work.
  const dead = (e: Entry) =>
    e !== top &&
    (e.n < top.n ||
      (e.type === 'cand' && e.n === top.n) ||
      (top.type === 'to' && e.type === 'cand' && e.n === top.n + 1 && e.id !== top.next));
  const junk = [...entries.filter(dead).map((e) => e.name), ...leftovers];
  if (top.type === 'json') {
    const version = { n: top.n, eTag: `${top.n}-${top.id}`, file: top.name, published: true };
    return { kind: 'live', version, junk };
  }
  // The top is a commit record: its candidate holds the current content.
  const candidate = entries.find((e) => e.type === 'cand' && e.n === top.n + 1 && e.id === top.next);
  if (!candidate) return { kind: 'racing' }; // published, and perhaps replaced, since the listing
  const version = { n: candidate.n, eTag: `${candidate.n}-${candidate.id}`, file: candidate.name, published: false };
  return { kind: 'live', version, junk };
}

/** The version's content, or undefined when it was replaced since it was seen. */
export async function readVersion(dir: string, version: Version): Promise<StoreItem | undefined> {
  try {
    const text = await fs.readFile(path.join(dir, version.file), 'utf8');
    return { ...(JSON.parse(text) as StoreItem), eTag: version.eTag };
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/** Finishes a commit whose writer has not published its candidate (or died before it could). */
export async function publish(dir: string, version: Version): Promise<void> {
  if (version.published) return;
  await renameIfThere(path.join(dir, version.file), path.join(dir, `${version.eTag}.json`));
}

/**
 * Replaces the published `version` with `body`, or deletes it (`body` undefined). Returns false
 * when another writer replaced or deleted it first.
 */
export async function swap(dir: string, version: Version, body: string | undefined): Promise<boolean> {
  const current = path.join(dir, version.file);
  if (body === undefined) return renameIfThere(current, path.join(dir, `${version.eTag}.deleted`));
  const me = newId();
  const next = `${version.n + 1}-${me}`;
  const candidate = path.join(dir, `${next}.cand`);
  try {
    await fs.writeFile(candidate, body, { flag: 'wx' });
  } catch (error) {
    if (isCode(error, 'ENOENT')) return false; // the folder is gone: the key was deleted
    throw error;
  }
  const record = path.join(dir, `${version.eTag}.to-${me}`);
  if (!(await renameIfThere(current, record))) {
    await unlinkIfThere(candidate);
    return false;
  }
  await renameIfThere(candidate, path.join(dir, `${next}.json`)); // a reader may have published it
  await unlinkIfThere(record);
  return true;
}

/** Converts a folder of the earlier layout: its newest version is renamed into the new one. */
export async function convertLegacy(dir: string, state: Extract<FolderState, { kind: 'legacy' }>): Promise<void> {
  const to = `${state.n}-${newId()}.${state.deleted ? 'deleted' : 'json'}`;
  if (await renameIfThere(path.join(dir, state.top), path.join(dir, to))) {
    await Promise.all(state.others.map((name) => unlinkIfThere(path.join(dir, name))));
  }
}

export async function removeJunk(dir: string, names: string[]): Promise<void> {
  await Promise.all(names.map((name) => unlinkIfThere(path.join(dir, name))));
}

/**
 * Removes a folder that holds no value, then its parents while they are empty (never `root`).
 * Only the names seen are removed, and file names never repeat, so a key re-created meanwhile in
 * a new folder loses nothing; `rmdir` refuses a folder that is not empty.
 */
export async function removeFolder(dir: string, names: string[], root: string): Promise<void> {
  await removeJunk(dir, names);
  for (let folder = dir; folder.startsWith(root + path.sep); folder = path.dirname(folder)) {
    try {
      await fs.rmdir(folder);
    } catch (error) {
      if (isCode(error, 'ENOENT')) continue;
      if (isCode(error, 'ENOTEMPTY') || isCode(error, 'EEXIST') || isCode(error, 'EBUSY')) return;
      throw error;
    }
  }
}

async function renameIfThere(from: string, to: string): Promise<boolean> {
  try {
    await fs.rename(from, to);
    return true;
  } catch (error) {
    if (isCode(error, 'ENOENT')) return false;
    throw error;
  }
}

async function unlinkIfThere(file: string): Promise<void> {
  try {
    await fs.unlink(file);
  } catch (error) {
    if (!isCode(error, 'ENOENT')) throw error;
  }
}

export function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === code;
}
