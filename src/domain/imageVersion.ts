/**
 * Base-image tags are `YYYYMMDD.vN`. Newer means a later date, then a higher N, both compared as
 * integers: string order is wrong once N reaches 10 (`20240429.v10` sorts before `.v8`).
 */
const TAG = /^(\d{4})(\d{2})(\d{2})\.v(\d{1,4})$/;

export interface ImageVersion {
  tag: string;
  date: number;
  build: number;
}

/**
 * Parsed tags, so that comparing every runtime's version with the latest on each read does not run
 * the pattern again. Tags come from a small catalogue and from records; the bound only stops odd
 * input from growing the map without limit.
 */
const parsed = new Map<string, Readonly<ImageVersion> | null>();
const PARSED_MAX = 4096;

export function parseImageVersion(tag: string): Readonly<ImageVersion> | undefined {
  let found = parsed.get(tag);
  if (found === undefined) {
    found = parse(tag) ?? null;
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(tag, found);
  }
  return found ?? undefined;
}

function parse(tag: string): Readonly<ImageVersion> | undefined {
  const match = TAG.exec(tag);
  if (!match) return undefined;
  const [, y, m, d, n] = match;
  const month = Number(m);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  return Object.freeze({ tag, date: Number(`${y}${m}${d}`), build: Number(n) });
}

export const isImageVersion = (tag: string): boolean => parseImageVersion(tag) !== undefined;

/** Negative when a is older than b. Tags that are not versions sort before every version. */
export function compareImageVersions(a: string, b: string): number {
  const va = parseImageVersion(a);
  const vb = parseImageVersion(b);
  if (!va || !vb) return (va ? 1 : 0) - (vb ? 1 : 0);
  return va.date - vb.date || va.build - vb.build;
}

/** The version tags among `tags`, oldest first, without duplicates; other tags are ignored. */
export function sortImageVersions(tags: Iterable<string>): string[] {
  return [...new Set(tags)].filter(isImageVersion).sort(compareImageVersions);
}

export function latestImageVersion(tags: Iterable<string>): string | undefined {
  return sortImageVersions(tags).at(-1);
}

/** True when `current` is older than `latest`; a runtime with no known version is not flagged. */
export function isOutdated(current: string | undefined, latest: string | undefined): boolean {
  if (!current || !latest || !isImageVersion(current)) return false;
  return compareImageVersions(current, latest) < 0;
}

/** The versions published after `current`, oldest first. */
export function newerThan(current: string | undefined, tags: Iterable<string>): string[] {
  const sorted = sortImageVersions(tags);
  if (!current || !isImageVersion(current)) return [];
  return sorted.filter((t) => compareImageVersions(t, current) > 0);
}

export const IMAGE_REPOSITORY = 'mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable';
