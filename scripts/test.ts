/**
 * `npm test`: the typecheck (`tsc --noEmit`) and the test suite (`vitest run`, without the `prod`
 * project) at the same time, since neither needs the other and the typecheck alone takes seconds of
 * one core (15 s the first time; later runs check what changed, in about 6 s). Fails when either fails. Arguments go to vitest (`npm test -- test/core`).
 * The typecheck's output is held until it ends, so it does not cut through vitest's.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const VITEST = path.join(path.dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
const TSBUILDINFO = path.join(__dirname, '../node_modules/.cache/tsc/test.tsbuildinfo');

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

async function main(argv: string[]): Promise<number> {
  // Incremental: a run after the first checks only what changed (the build info lives in node_modules).
  const typecheck = run(
    [require.resolve('typescript/bin/tsc'), '--noEmit', '--incremental', '--tsBuildInfoFile', TSBUILDINFO],
    true,
  );
  const tests = run([VITEST, 'run', '--project', '!prod', ...argv], false);
  const [types, suite] = await Promise.all([typecheck, tests]);
  process.stdout.write(types.output);
  process.stdout.write(types.code === 0 ? 'Typecheck passed.\n' : 'Typecheck failed (tsc --noEmit).\n');
  return types.code !== 0 ? types.code : suite.code;
}

main(process.argv.slice(2)).then((code) => process.exit(code));
