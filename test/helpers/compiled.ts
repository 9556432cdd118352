/**
 * The compiled product (`scripts/build.ts` into dist/) for tests that start it as a child process:
 * `node dist/src/serviceMain.js` starts in a fraction of what `tsx` needs to load src/ through its
 * transpiler, and it is what is deployed. `globalSetup` of the `slow` project (vitest.config.mts)
 * builds it once per run, or keeps dist/ when it was built after the last change to its sources.
 */
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build, ENTRY_POINTS, ROOT, RUNTIME_ASSETS } from '../../scripts/build';

/** Absolute paths of the compiled entry points. */
export const COMPILED = {
  bot: path.join(ROOT, ENTRY_POINTS.bot),
  service: path.join(ROOT, ENTRY_POINTS.service),
} as const;

/** The compiled folder, laid out as `npm run build` leaves it. */
export const DIST = path.join(ROOT, 'dist');

/** Written last by a build made here; its time says when dist/ was complete. */
const STAMP = path.join(DIST, '.built');
const SOURCES = ['src', ...RUNTIME_ASSETS, 'package.json', 'tsconfig.json', 'tsconfig.build.json'];

function newestChange(entry: string): number {
  const stat = statSync(entry, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(entry).map((name) => newestChange(path.join(entry, name))));
}

/** Builds dist/ unless it is newer than every source it is made from. */
export async function ensureCompiled(): Promise<void> {
  const built = statSync(STAMP, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const changed = Math.max(...SOURCES.map((s) => newestChange(path.join(ROOT, s))));
  if (built > changed) return;
  rmSync(STAMP, { force: true });
  await build(DIST);
  writeFileSync(STAMP, new Date().toISOString());
}

/** vitest globalSetup. */
export default async function setup(): Promise<void> {
  await ensureCompiled();
}
