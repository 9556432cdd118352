/**
 * `npm run bench [-- section…]`: the loopback benchmark of issue 10. Each section runs in a fresh
 * Node process (so memory figures and JIT state do not leak from one section into the next); progress
 * goes to stderr, and at the end the Markdown report goes to stdout and to disk. A full run writes
 * bench/results/latest.json (the source of the README figures) and latest.md; a run of some
 * sections writes bench/results/partial.json and partial.md instead (ignored by git).
 * Sections: turns, cards, fanout, service, startup, telemetry.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SectionResult } from './lib/stats';
import { type Machine, report } from './lib/table';

const SECTIONS: Record<string, () => Promise<{ run(): Promise<SectionResult> }>> = {
  turns: () => import('./botTurns'),
  cards: () => import('./cards'),
  fanout: () => import('./fanout'),
  service: () => import('./service'),
  startup: () => import('./startup'),
  telemetry: () => import('./telemetry'),
};
const ALIASES: Record<string, string> = { bot: 'turns', botturns: 'turns', 'fan-out': 'fanout', card: 'cards' };
const RESULTS = path.join(__dirname, 'results');

function machine(): Machine {
  let commit: string | undefined;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: __dirname, encoding: 'utf8' }).trim();
  } catch {
    commit = undefined;
  }
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    totalMemoryGB: Math.round(os.totalmem() / 2 ** 30),
    node: process.versions.node,
    os: `${os.platform()} ${os.release()}`,
    loadAverage: os.loadavg(),
    ...(commit ? { commit } : {}),
  };
}

/** Runs one section in a child process and reads back its result. */
function runSection(name: string): Promise<SectionResult> {
  const out = path.join(os.tmpdir(), `bench-${process.pid}-${name}.json`);
  const started = Date.now();
  const child = spawn(process.execPath, ['--expose-gc', '--no-deprecation', '--import', 'tsx', __filename], {
    cwd: path.resolve(__dirname, '..'),
    env: { ...process.env, BENCH_CHILD: name, BENCH_OUT: out },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      try {
        resolve(JSON.parse(readFileSync(out, 'utf8')) as SectionResult);
      } catch {
        resolve({
          section: name,
          seconds: (Date.now() - started) / 1000,
          figures: [],
          notes: [`The section failed (exit ${code ?? signal}); see the output above.`],
        });
      } finally {
        rmSync(out, { force: true });
      }
    });
  });
}

/** Formatted as `prettier --check` wants (the project ignores *.md), so that the committed JSON passes lint. */
async function pretty(text: string, parser: 'json'): Promise<string> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(path.join(RESULTS, 'latest.json'))) ?? {};
  return prettier.format(text, { ...options, parser });
}

async function child(name: string, out: string): Promise<void> {
  try {
    const result = await (await SECTIONS[name]()).run();
    writeFileSync(out, JSON.stringify(result));
    process.exit(0);
  } catch (error) {
    process.stderr.write(`bench ${name} failed: ${(error as Error).stack}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2).map((a) => ALIASES[a.toLowerCase()] ?? a.toLowerCase());
  const unknown = asked.filter((a) => !SECTIONS[a]);
  if (unknown.length) {
    process.stderr.write(`Unknown section ${unknown.join(', ')}; choose from ${Object.keys(SECTIONS).join(', ')}.\n`);
    process.exit(2);
  }
  const names = asked.length ? Object.keys(SECTIONS).filter((s) => asked.includes(s)) : Object.keys(SECTIONS);
  const info = machine();
  const date = new Date().toISOString();
  const started = Date.now();
  const results: SectionResult[] = [];
  for (const name of names) {
    process.stderr.write(`▶ ${name}…\n`);
    const result = await runSection(name);
    results.push(result);
    process.stderr.write(`  ${name}: ${result.figures.length} figures in ${result.seconds.toFixed(0)} s\n`);
  }
  const wall = (Date.now() - started) / 1000;
  const markdown = report(info, date, wall, results);
  process.stdout.write(`\n${markdown}\n`);
  const base = names.length === Object.keys(SECTIONS).length ? 'latest' : 'partial';
  mkdirSync(RESULTS, { recursive: true });
  const json = { date, wallSeconds: Math.round(wall), machine: info, sections: results };
  writeFileSync(path.join(RESULTS, `${base}.json`), await pretty(JSON.stringify(json), 'json'));
  writeFileSync(path.join(RESULTS, `${base}.md`), markdown);
  process.stderr.write(`Wrote bench/results/${base}.json and ${base}.md in ${wall.toFixed(0)} s.\n`);
  if (results.some((r) => r.figures.length === 0)) process.exitCode = 1;
}

if (process.env.BENCH_CHILD && process.env.BENCH_OUT) void child(process.env.BENCH_CHILD, process.env.BENCH_OUT);
else void main();
