/**
 * `npm test`: the typecheck and the test suite (`vitest run`) at the same time, since neither needs
 * the other. The typecheck is `tsc -b tsconfig.check.json`: build mode, no output, its build info in
 * node_modules/.cache. It takes 20 s of one core the first time, about 7 s after a change, and
 * 0.3 s when nothing changed since the last check, where plain `tsc --noEmit --incremental` still
 * parsed every file (7 s). Fails when either fails. The typecheck's output is held until it ends, so
 * it does not cut through vitest's.
 *
 * It runs the `unit`, `integration` and `slow` projects; `e2e`, `replicas` and `prod` have their
 * own scripts (vitest.config.mts says why). Arguments go to vitest; when they name files or
 * projects, those run whatever their project (`npm test -- test/e2e` runs the browser tests).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const VITEST = path.join(path.dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
const TSCONFIG = path.join(__dirname, '../tsconfig.check.json');

/** Named, not negated: vitest runs the union of `--project` filters, so `!a !b` would run both. */
export const NPM_TEST_PROJECTS = ['slow', 'integration', 'unit'];

const LEFT_OUT =
  'Not run by npm test: the browser and replica tests (npm run test:system) and the staged start ' +
  '(npm run test:prod). CI runs both; npm run test:all runs everything.';

interface Outcome {
  code: number;
  output: string;
}

function run(args: string[], capture: boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) => resolve({ code: 1, output: `${output}${error.message}\n` }));
    child.once('exit', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

/**
 * Whether the arguments pick files or projects: a `--project` option, or a filter (a word that is
 * not an option and not the value of the option before it, as in `--reporter json`).
 */
export function choosesFiles(argv: string[]): boolean {
  return argv.some(
    (arg, i) =>
      arg.startsWith('--project') ||
      (!arg.startsWith('-') && (i === 0 || !argv[i - 1].startsWith('-') || argv[i - 1].includes('='))),
  );
}

async function main(argv: string[]): Promise<number> {
  const typecheck = run([require.resolve('typescript/bin/tsc'), '-b', TSCONFIG], true);
  const everyDefault = !choosesFiles(argv);
  const projects = everyDefault ? NPM_TEST_PROJECTS.flatMap((name) => ['--project', name]) : [];
  const tests = run([VITEST, 'run', ...projects, ...argv], false);
  const [types, suite] = await Promise.all([typecheck, tests]);
  process.stdout.write(types.output);
  process.stdout.write(types.code === 0 ? 'Typecheck passed.\n' : 'Typecheck failed (tsc -b tsconfig.check.json).\n');
  if (everyDefault) process.stdout.write(`${LEFT_OUT}\n`);
  return types.code !== 0 ? types.code : suite.code;
}

if (require.main === module) main(process.argv.slice(2)).then((code) => process.exit(code));
