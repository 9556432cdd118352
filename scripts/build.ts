/**
 * The compiled product, the one way it is made (npm scripts, the Agents Toolkit, the Dockerfile and
 * the compiled-start test all come through here):
 *
 * - `npm run build` compiles src/ to dist/src with tsc and copies the files the code reads at run
 *   time (RUNTIME_ASSETS) to dist/, beside dist/src as they sit beside src/ in the repository. The
 *   code finds them through `path.resolve(__dirname, '../..')`, which is dist/ once compiled, so
 *   dist/ alone runs: no path in the code knows whether it was compiled.
 * - `npm run stage [-- <folder>]` builds, then makes the folder that gets deployed (default
 *   build/deploy): dist/, package.json, package-lock.json and the production dependencies only
 *   (`npm ci --omit=dev`). No tsx, no TypeScript at run time.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..');
/** Folders the code reads at run time: card templates, image catalogue, Teams manifest, demo policy. */
export const RUNTIME_ASSETS = ['cards', 'catalogue', 'manifest', 'playground'] as const;
/** The files a staged folder holds besides its node_modules. */
export const STAGED_FILES = ['dist', 'package.json', 'package-lock.json'] as const;
/** Where `npm run stage` puts the deployable folder (the Agents Toolkit zips it from there). */
export const STAGE_FOLDER = 'build/deploy';
/** What `npm run start:prod` and `npm run service:prod` run, relative to the package root. */
export const ENTRY_POINTS = { bot: 'dist/src/index.js', service: 'dist/src/serviceMain.js' } as const;

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // npm is npm.cmd on Windows, which only a shell can start.
    const child = spawn(command, args, { cwd, stdio: 'inherit', shell: process.platform === 'win32' });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (${code ?? signal})`)),
    );
  });
}

/** Compiles and copies the assets into `outDir` (default dist/). Removes only what it writes there. */
export async function build(outDir = path.join(ROOT, 'dist')): Promise<string> {
  for (const owned of ['src', ...RUNTIME_ASSETS]) rmSync(path.join(outDir, owned), { recursive: true, force: true });
  const tsc = require.resolve('typescript/bin/tsc');
  await run(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], ROOT);
  for (const asset of RUNTIME_ASSETS) cpSync(path.join(ROOT, asset), path.join(outDir, asset), { recursive: true });
  for (const entry of Object.values(ENTRY_POINTS)) {
    const file = path.join(outDir, path.relative('dist', entry));
    if (!existsSync(file)) throw new Error(`the build did not write ${file}`);
  }
  return outDir;
}

/** A fresh deployable folder from a build: only STAGED_FILES, then `npm ci --omit=dev` in it. */
export async function stage(folder: string, distDir = path.join(ROOT, 'dist')): Promise<string> {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  cpSync(distDir, path.join(folder, 'dist'), { recursive: true });
  for (const file of STAGED_FILES.filter((f) => f !== 'dist')) cpSync(path.join(ROOT, file), path.join(folder, file));
  await run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], folder);
  return folder;
}

async function main(argv: string[]): Promise<void> {
  const at = argv.indexOf('--stage');
  const dist = await build();
  process.stdout.write(`Compiled to ${path.relative(process.cwd(), dist) || '.'}\n`);
  if (at < 0) return;
  const folder = path.resolve(argv[at + 1] ?? path.join(ROOT, STAGE_FOLDER));
  await stage(folder, dist);
  process.stdout.write(`Staged ${folder}: start it with npm run start:prod or npm run service:prod there.\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  });
}
