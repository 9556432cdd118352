/**
 * The compiled product exactly as it is deployed: `scripts/build.ts` compiles into a temp folder, stages
 * a fresh folder holding only dist/, package.json and package-lock.json, and runs
 * `npm ci --omit=dev --no-audit --no-fund` there (the same `stage()` that `npm run stage`, the Agents
 * Toolkit and the Dockerfile's recipe use); then the starts of support/compiledApp.ts run from it.
 *
 * Slow (npm ci over the network or the npm cache), so not in `npm test`: `npm run test:prod` runs it,
 * and `.ci/run` runs that. compiledStart.test.ts starts the same build with the installed dependencies.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, ROOT, stage, STAGED_FILES } from '../../scripts/build';
import { describeCompiledStarts } from './support/compiledApp';

const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
const LOCK = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean }>;
};

let work: string;
let app: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'staged-start-'));
  app = await stage(path.join(work, 'app'), await build(path.join(work, 'dist')));
}, 10 * 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the staged folder', () => {
  it('should hold the staged files and production dependencies only', () => {
    expect(readdirSync(app).sort()).toEqual([...STAGED_FILES, 'node_modules'].sort());
    // The lock file marks what only devDependencies need (tsx, typescript, vitest… and theirs).
    const devOnly = Object.entries(LOCK.packages)
      .filter(([where, entry]) => where && entry.dev)
      .map(([where]) => where);
    expect(devOnly).toContain('node_modules/tsx');
    expect(devOnly.filter((where) => existsSync(path.join(app, where)))).toEqual([]);
    for (const name of Object.keys(PACKAGE.dependencies))
      expect(existsSync(path.join(app, 'node_modules', name))).toBe(true);
  });
});

describeCompiledStarts(
  () => app,
  () => work,
);
