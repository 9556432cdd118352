import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Four projects; `npm test` runs the first three, so that it fits in two minutes on two cores
 * (README, "Testing"):
 *
 * - `slow`: long files (browser, replicas, child processes, Azurite, fuzzing); isolated, and started
 *   first so that they overlap with everything else instead of ending the run alone.
 * - `integration`: files that touch process-wide state (environment, process listeners, global
 *   OpenTelemetry providers, fake timers) or spawn children; each file in a fresh module graph.
 * - `unit`: everything else, in-process only; files share one module cache per worker
 *   (`isolate: false`), which saves loading src/ again for each of them. A file that needs a
 *   fresh graph (process-wide state, `vi.mock`) belongs in `integration`.
 * - `prod`: the deployed folder, staged with `npm ci --omit=dev` (`npm run test:prod`, in `.ci/run`).
 *
 * Patterns name files by their base name where they can, so they hold when test folders move.
 */
const SLOW = [
  'test/e2e/**/*.test.ts',
  'test/replicas/**/*.test.ts',
  '**/fuzz.test.ts',
  '**/compiledStart.test.ts',
  '**/fanout.test.ts',
  '**/throttledConnector.test.ts',
  '**/azureMonitor.test.ts',
  '**/restart.test.ts',
  '**/process.test.ts',
  '**/blobStorage.test.ts',
  '**/outage.test.ts',
  '**/load.test.ts',
  '**/auditExport.test.ts',
  '**/sealer.test.ts',
  '**/manifest.test.ts',
];

const PROD = ['**/stagedStart.test.ts'];

const INTEGRATION = [
  'test/telemetry/**/*.test.ts',
  '**/signedTokens.test.ts',
  '**/errors.test.ts',
  '**/trackerOutage.test.ts',
  '**/pollLoop.test.ts',
  '**/fileStorage.test.ts',
  '**/registryWatcher.test.ts',
  '**/tokenEndpoint.test.ts',
];

/** The `slow` project's files first (longest first within each project, as vitest does). */
class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const slow = sorted.filter((f) => f.project.name === 'slow');
    return [...slow, ...sorted.filter((f) => f.project.name !== 'slow')];
  }
}

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // vitest's default is one worker fewer than the cores: a single worker on this 2-core machine. The
    // slow files mostly wait on browsers and child processes, so every core gets a worker. Two per core
    // was 10 s faster but starved Azurite and the child processes: the replica and restart files then
    // failed on timeouts (README, "Testing").
    maxWorkers: availableParallelism(),
    reporters: ['default'],
    sequence: { sequencer: SlowFirst },
    projects: [
      // The compiled product, for the files that start it as a child process (test/helpers/compiled.ts).
      { extends: true, test: { name: 'slow', include: SLOW, globalSetup: ['test/helpers/compiled.ts'] } },
      { extends: true, test: { name: 'integration', include: INTEGRATION, exclude: SLOW } },
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...SLOW, ...INTEGRATION, ...PROD],
          isolate: false,
        },
      },
      { extends: true, test: { name: 'prod', include: PROD } },
    ],
  },
});
