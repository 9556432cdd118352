import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Six projects. `npm test` runs the first three, in under two minutes on two cores; the others have
 * their own scripts, and `.ci/run` runs them all (README, "Testing"):
 *
 * - `slow`: long files (child processes, Azurite, fuzzing, fan-out), started first so that they
 *   overlap with everything else instead of ending the run alone. Like `unit`, its files share one
 *   module cache per worker: none of them changes process-wide state for longer than it runs.
 * - `integration`: files that touch process-wide state (environment, process listeners, global
 *   OpenTelemetry providers, fake timers) or spawn children; each file in a fresh module graph.
 * - `unit`: everything else, in-process only; files share one module cache per worker
 *   (`isolate: false`), which saves loading src/ again for each of them. A file that needs a
 *   fresh graph (process-wide state, `vi.mock`) belongs in `integration`.
 * - `e2e`, then `replicas` (`npm run test:system`): the whole product as users and operators meet
 *   it, in Chromium through the Agents Playground, and as replicas on one Azurite account. About
 *   110 s of CPU, a third of a full run's, mostly Chromium, Azurite and the replica processes,
 *   which is why `npm test` leaves them out. The replicas run after the browsers, alone: beside
 *   Chromium, Azurite answered 100 concurrent creates too late and the services said 503.
 * - `prod`: the deployed folder, staged with `npm ci --omit=dev` (`npm run test:prod`).
 *
 * Patterns name files by their base name where they can, so they hold when test folders move.
 */
const E2E = ['test/e2e/**/*.test.ts'];
const REPLICAS = ['test/replicas/**/*.test.ts'];

const SLOW = [
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
    // vitest's default is one worker fewer than the cores: a single worker on this 2-core machine. Many
    // files wait on child processes, Azurite or timers, so there is one worker more than the cores:
    // with one per core, 40 core-seconds of a run were idle; with one more, 14. `e2e` keeps one per
    // core and `replicas` runs alone: more starved Azurite and the replica processes (README,
    // "Testing").
    maxWorkers: availableParallelism() + 1,
    reporters: ['default'],
    sequence: { sequencer: SlowFirst },
    projects: [
      // The compiled product, for the files that start it as a child process (test/helpers/compiled.ts).
      {
        extends: true,
        test: { name: 'slow', include: SLOW, globalSetup: ['test/helpers/compiled.ts'], isolate: false },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: E2E,
          maxWorkers: availableParallelism(),
          sequence: { groupOrder: 1 },
          globalSetup: ['test/helpers/compiled.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'replicas',
          include: REPLICAS,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
          globalSetup: ['test/helpers/compiled.ts'],
        },
      },
      { extends: true, test: { name: 'integration', include: INTEGRATION, exclude: SLOW } },
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...E2E, ...REPLICAS, ...SLOW, ...INTEGRATION, ...PROD],
          isolate: false,
        },
      },
      { extends: true, test: { name: 'prod', include: PROD } },
    ],
  },
});
