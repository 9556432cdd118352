/** scripts/test.ts (`npm test`) and what CI runs besides it, so that no project goes unrun. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { choosesFiles, NPM_TEST_PROJECTS } from '../../scripts/test';

const ROOT = path.join(__dirname, '../..');

describe('npm test', () => {
  it('should leave the default projects alone when the arguments only set options', () => {
    expect(choosesFiles([])).toBe(false);
    expect(choosesFiles(['--reporter', 'json', '--outputFile.json=/tmp/out.json'])).toBe(false);
    expect(choosesFiles(['--reporter=verbose', '-t', 'should answer'])).toBe(false);
  });

  it('should run what the arguments name when they name files or projects', () => {
    expect(choosesFiles(['test/e2e'])).toBe(true);
    expect(choosesFiles(['replicas'])).toBe(true);
    expect(choosesFiles(['--reporter=verbose', 'test/replicas'])).toBe(true);
    expect(choosesFiles(['--reporter', 'json', 'fuzz'])).toBe(true);
    expect(choosesFiles(['--project', 'e2e'])).toBe(true);
    expect(choosesFiles(['--project=unit'])).toBe(true);
  });

  it('should run every project of vitest.config.mts but the two with their own scripts', async () => {
    const config = (await import('../../vitest.config.mjs')).default as {
      test: { projects: { test: { name: string } }[] };
    };
    const names = config.test.projects.map((p) => p.test.name);
    expect([...NPM_TEST_PROJECTS, 'e2e', 'replicas', 'prod'].sort()).toEqual([...names].sort());
  });

  it('should be followed in CI by the two projects it leaves out', () => {
    const ci = readFileSync(path.join(ROOT, '.ci/run'), 'utf8');
    const scripts = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts;
    const commands = ci.split('\n').filter((line) => /^npm (test|run test:)/.test(line));
    expect(commands).toEqual(['npm test', 'npm run test:system', 'npm run test:prod']);
    expect(scripts['test:system']).toBe('vitest run --project e2e --project replicas');
    expect(scripts['test:prod']).toBe('vitest run --project prod');
    expect(scripts['test:all']).toBe('npm test && npm run test:system && npm run test:prod');
  });
});
