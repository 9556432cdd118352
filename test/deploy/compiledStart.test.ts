/**
 * The compiled product starts: the run's build (`scripts/build.ts` into dist/, helpers/compiled.ts) is
 * copied into a temp folder laid out as a staged one, whose node_modules is the repository's
 * (support/compiledApp.ts), and `npm run start:prod` and `npm run service:prod` run there. The same starts from a fresh folder after `npm ci --omit=dev`, and
 * what that folder holds, are stagedStart.test.ts, in `npm run test:prod` (`.ci/run` runs both).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/build';
import { DIST } from '../helpers/compiled';
import { describeCompiledStarts, linkedFolder } from './support/compiledApp';

const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

let work: string;
let app: string;

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'compiled-start-'));
  app = linkedFolder(path.join(work, 'app'), DIST);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describe('the compiled code', () => {
  it('should require nothing but Node built-ins and production dependencies', () => {
    const builtins = new Set(builtinModules);
    const required = new Set<string>();
    for (const file of filesUnder(path.join(app, 'dist')).filter((f) => f.endsWith('.js'))) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/\brequire\("([^"]+)"\)/g)) {
        if (spec.startsWith('.')) continue;
        required.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
      }
    }
    const foreign = [...required].filter(
      (name) => !builtins.has(name.replace(/^node:/, '')) && !(name in PACKAGE.dependencies),
    );
    expect(required.size).toBeGreaterThan(5);
    expect(foreign).toEqual([]);
  });
});

describeCompiledStarts(
  () => app,
  () => work,
);
