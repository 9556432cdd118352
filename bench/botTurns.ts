/**
 * Bot turns: `status` (the on-call summary card over 500 runtimes) through the real POST
 * /api/messages path, measured on the product as `npm start` runs it — the bot with its embedded
 * runtime service wired as src/index.ts wires them, configured from the environment (file storage
 * under a fresh DATA_DIR, the default log level, background workers on), the card posted to a
 * loopback connector — beside a bare botbuilder echo bot and a bare restify handler run in the same
 * minute. The old bench configuration (memory storage, errors-only logs, workers off) stays as an
 * extra row. Each server runs in its own process; this process is "Teams": it drives 8 turns in
 * flight and receives the replies. Rounds alternate the targets so that a noisy neighbour hurts all
 * alike. After the timed rounds, each status row's storage calls per turn (counting wrappers in the
 * target) and system calls per turn (strace) are counted in windows of their own.
 *
 * The storage kind is a parameter of a row (`productRow`): the product reads STORAGE and its
 * settings from the environment, as `npm start` does. The Blob row runs the same product on
 * Azurite, started for this section and stopped at its end (bench/lib/blob.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { messageActivity } from '../test/helpers/activities';
import { type Azurite, AZURITE_NOTE, blobEnv, startAzurite } from './lib/blob';
import { CountingConnector } from './lib/connector';
import { forkTarget, type Target } from './lib/fork';
import { Client, closedLoop, freePort, type LoopResult } from './lib/http';
import { figure, type Figure, p50, p99, type SectionResult } from './lib/stats';
import { countSyscalls, straceAvailable, type SyscallCount } from './lib/syscalls';
import type { StorageUse, TargetKind } from './lib/target';

const SECTION = 'Bot turns';
const RUNTIMES = 500;
const CONCURRENCY = 8;
const WARMUP_MS = 2_000;
const ROUND_MS = 5_000;
const ROUNDS = 2;
/** The windows in which storage and system calls are counted. */
const COUNT_MS = 3_000;
const IDLE_MS = 3_000;
const ROOT = path.resolve(__dirname, '..');

interface StatusRow {
  label: string;
  kind: TargetKind;
  /** For the product: its whole environment, as `npm start` would see it. */
  env?: () => Promise<NodeJS.ProcessEnv>;
  cleanup?: () => void;
}

/**
 * The product on one storage kind, configured through the environment exactly as `npm start` is:
 * the variables below, and the defaults for everything else (LOG_LEVEL info, workers on).
 */
function productRow(storage: string, label: string, extraEnv: NodeJS.ProcessEnv = {}): StatusRow {
  let dataDir: string | undefined;
  return {
    label,
    kind: 'product',
    async env() {
      dataDir = mkdtempSync(path.join(os.tmpdir(), `bench-turns-${storage}-`));
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        STORAGE: storage,
        DATA_DIR: dataDir,
        PORT: String(await freePort()),
        RUNTIME_SERVICE_PORT: String(await freePort()),
        DEMO_DATA: 'false', // the 500 runtimes are seeded instead
        PLAYGROUND: 'false', // the Playground is a browser UI, not part of a turn
        POLICY_FILE: path.join(ROOT, 'playground/policy.yaml'), // the policy npm start uses
        ...extraEnv,
      };
      for (const key of ['LOG_LEVEL', 'RUNTIME_SERVICE_URL', 'RUNTIME_SERVICE_TOKEN', 'MicrosoftAppId'])
        if (!(key in extraEnv)) delete env[key];
      return env;
    },
    cleanup() {
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The status rows, side by side in one run: the product on file and on Blob, and the old bench. */
function statusRows(azurite: Azurite): StatusRow[] {
  return [
    productRow('file', FILE_ROW),
    productRow('blob', BLOB_ROW, blobEnv(azurite, 'bench-turns')),
    { label: 'status, memory storage, errors-only logs, workers off (the old bench)', kind: 'bot' },
  ];
}
const FILE_ROW = 'status, as shipped (file storage)';
const BLOB_ROW = 'status, as shipped on Blob storage (Azurite)';

interface Measured {
  throughput: number;
  p50: number;
  p99: number;
  turns: number;
  failed: number;
}

interface Counted {
  /** Storage calls per turn, bot and service, with the background's share taken out. */
  storagePerTurn?: { bot: number; service: number; background: number };
  syscalls?: { perTurn: number; top: SyscallCount['top']; idlePerSecond: number };
}

export async function run(): Promise<SectionResult> {
  const started = Date.now();
  const notes: string[] = [];
  const connector = new CountingConnector();
  await connector.start();
  const client = new Client(CONCURRENCY);
  const azurite = await startAzurite();
  const bare = await forkTarget('restify');
  const echo = await forkTarget('echo');
  const rows: { row: StatusRow; target: Target }[] = [];
  try {
    for (const row of statusRows(azurite)) {
      const env = row.env ? await row.env() : undefined;
      rows.push({ row, target: await forkTarget(row.kind, { runtimes: RUNTIMES, ...(env ? { env } : {}) }) });
    }
    const turn = (target: Target) => async () => {
      const answer = await client.request(
        'POST',
        `${target.url}/api/messages`,
        messageActivity(connector.url, 'status'),
      );
      if (answer.status < 200 || answer.status > 202) throw new Error(`${target.kind} answered ${answer.status}`);
      return answer.ms;
    };

    // The bench must measure what it claims: one status turn posts the summary card of all runtimes.
    let replyBytes = 0;
    for (const { row, target } of rows) {
      const bytesBefore = connector.bytes;
      await turn(target)();
      replyBytes = connector.bytes - bytesBefore;
      const card = JSON.stringify(connector.lastCard ?? '');
      if (!card.includes('On-call summary') || !card.includes(`${RUNTIMES} runtimes`))
        throw new Error(
          `${row.label}: the status turn did not post the summary of ${RUNTIMES} runtimes: ${card.slice(0, 300)}`,
        );
    }
    const summaryBytes = Buffer.byteLength(
      (await client.request('GET', `${rows[0].target.serviceUrl}/v1/summary`)).body,
    );

    const targets = [bare, echo, ...rows.map((r) => r.target)];
    for (const target of targets) await closedLoop(CONCURRENCY, WARMUP_MS, turn(target));
    const runs = new Map<Target, LoopResult[]>(targets.map((t) => [t, []]));
    const cardsBefore = connector.cards;
    for (let round = 0; round < ROUNDS; round++)
      for (const target of targets) runs.get(target)!.push(await closedLoop(CONCURRENCY, ROUND_MS, turn(target)));
    const cardsSent = connector.cards - cardsBefore;

    const measured = new Map<Target, Measured>();
    for (const [target, results] of runs) {
      const latencies = results.flatMap((r) => r.latencies);
      const seconds = results.reduce((s, r) => s + r.seconds, 0);
      measured.set(target, {
        throughput: latencies.length / seconds,
        p50: p50(latencies),
        p99: p99(latencies),
        turns: latencies.length,
        failed: results.reduce((s, r) => s + r.failed, 0),
      });
    }
    const statusTurns = rows.reduce((n, r) => n + measured.get(r.target)!.turns, 0);
    if (cardsSent !== statusTurns)
      notes.push(`Check failed: ${statusTurns} status turns but ${cardsSent} cards reached the connector.`);
    for (const [target, m] of measured)
      if (m.failed)
        notes.push(`${m.failed} ${target.kind} requests failed (errors or non-2xx); they are not in the figures.`);

    // Counting windows, after the timed rounds: storage calls, then system calls.
    const counted = new Map<Target, Counted>();
    for (const { target } of rows) counted.set(target, { storagePerTurn: await storagePerTurn(target, turn(target)) });
    const strace = straceAvailable();
    const echoSyscalls = strace ? await syscallsPerTurn(echo, turn(echo)) : undefined;
    if (strace)
      for (const { target } of rows) counted.get(target)!.syscalls = await syscallsPerTurn(target, turn(target));

    const e = measured.get(echo)!;
    const b = measured.get(bare)!;
    const f = (name: string, value: number, unit: string, base: string, baseValue: number, better: Figure['better']) =>
      figure(SECTION, name, value, unit, { name: base, value: baseValue }, better);
    const figures: Figure[] = [];
    for (const { row, target } of rows) {
      const m = measured.get(target)!;
      const c = counted.get(target)!;
      figures.push(
        f(`${row.label}: throughput`, m.throughput, 'turns/s', 'echo bot', e.throughput, 'higher'),
        f(`${row.label}: p50`, m.p50, 'ms', 'echo bot', e.p50, 'lower'),
        f(`${row.label}: p99`, m.p99, 'ms', 'echo bot', e.p99, 'lower'),
      );
      if (c.storagePerTurn) {
        const s = c.storagePerTurn;
        figures.push(
          f(
            `${row.label}: storage calls per turn`,
            s.bot + s.service,
            'calls',
            'runtimes in storage',
            RUNTIMES,
            'lower',
          ),
        );
      }
      if (c.syscalls && echoSyscalls)
        figures.push(
          f(
            `${row.label}: system calls per turn`,
            c.syscalls.perTurn,
            'calls',
            'echo bot',
            echoSyscalls.perTurn,
            'lower',
          ),
        );
    }
    // Issue 16: the same ratio to the echo bot within 20 % on Blob and on file.
    const ratioOf = (label: string) => {
      const row = rows.find((r) => r.row.label === label);
      return row ? measured.get(row.target)!.throughput / e.throughput : Number.NaN;
    };
    figures.push(
      f(
        'status on Blob against file: throughput ratio to the echo bot',
        ratioOf(BLOB_ROW),
        '× echo',
        'on file storage',
        ratioOf(FILE_ROW),
        'higher',
      ),
    );
    figures.push(f('echo bot throughput', e.throughput, 'turns/s', 'bare restify', b.throughput, 'higher'));

    notes.push(
      `${CONCURRENCY} in flight, ${WARMUP_MS / 1000} s warm-up each, then ${ROUNDS} alternating rounds of ${ROUND_MS / 1000} s ` +
        `per target: ${rows.map((r) => `${measured.get(r.target)!.turns} turns for "${r.row.label}"`).join(', ')}, ` +
        `${e.turns} echo turns, ${b.turns} bare requests. ${cardsSent === statusTurns ? 'Every' : 'Not every'} status ` +
        `turn posted the summary card of ${RUNTIMES} runtimes (${(replyBytes / 1024).toFixed(1)} KB a reply); the ` +
        `service's summary is ${Math.round(summaryBytes / 1024)} KB of JSON, built from its in-memory read model.`,
    );
    notes.push(
      'As shipped: the bot and the embedded runtime service in one process, wired as src/index.ts, configured by ' +
        'loadConfig() from STORAGE=file, a fresh DATA_DIR, POLICY_FILE=playground/policy.yaml, DEMO_DATA=false and ' +
        `${RUNTIMES} runtimes already on disk, LOG_LEVEL unset (info; the log lines go to /dev/null), background ` +
        'workers on (engine, read model tail, tracker, notifier, outbox, approvals sweep, policy watcher). ' +
        `The Blob row is the same with STORAGE=blob, AZURE_STORAGE_CONNECTION_STRING for Azurite, a container of its ` +
        `own and SECRETS_KEY set (required with blob). Writing the ${RUNTIMES} runtimes before start-up took ` +
        rows.map((r) => `${r.target.seedSeconds.toFixed(1)} s for "${r.row.label}"`).join(', ') +
        ' (16 batches in flight through the storage interface).',
    );
    notes.push(AZURITE_NOTE);
    for (const { row, target } of rows) {
      const c = counted.get(target)!;
      if (c.storagePerTurn)
        notes.push(
          `${row.label}: storage calls per status turn ${fmt(c.storagePerTurn.bot)} in the bot and ` +
            `${fmt(c.storagePerTurn.service)} in the service, after taking out the background's ` +
            `${fmt(c.storagePerTurn.background)} calls/s (counted over ${IDLE_MS / 1000} s idle, then ${COUNT_MS / 1000} s of turns).`,
        );
      if (c.syscalls)
        notes.push(
          `${row.label}: system calls per status turn ${fmt(c.syscalls.perTurn)} (strace -c -f, net of ` +
            `${fmt(c.syscalls.idlePerSecond)}/s idle); most frequent: ${c.syscalls.top.map((t) => `${t.name} ${t.calls}`).join(', ')}.`,
        );
    }
    if (echoSyscalls)
      notes.push(
        `Echo bot: ${fmt(echoSyscalls.perTurn)} system calls per turn; most frequent: ` +
          `${echoSyscalls.top.map((t) => `${t.name} ${t.calls}`).join(', ')}.`,
      );
    else
      notes.push(
        strace
          ? 'strace could not count the echo bot (it failed to attach twice): system calls per turn have no baseline.'
          : 'strace is not installed: system calls per turn were not counted (apt-get install -y strace).',
      );
    notes.push(
      `At ${Math.round(b.throughput).toLocaleString('en-US')} requests/s the bare restify floor is probably bounded by ` +
        'this driver process, which has the other core: the true gap between the bot and bare restify is at least as large.',
    );
    return { section: SECTION, seconds: (Date.now() - started) / 1000, notes, figures };
  } finally {
    client.close();
    for (const t of [bare, echo, ...rows.map((r) => r.target)]) await t.stop();
    for (const { row } of rows) row.cleanup?.();
    await azurite.dispose();
    await connector.stop();
  }
}

/** Storage calls per turn: a window of turns, minus what the background does in the same time. */
async function storagePerTurn(target: Target, turn: () => Promise<number>): Promise<Counted['storagePerTurn']> {
  const total = (u: StorageUse, side: 'bot' | 'service') => u[side] ?? 0;
  await target.resetStorage();
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const idle = await target.storage();
  await target.resetStorage();
  const loop = await closedLoop(CONCURRENCY, COUNT_MS, turn);
  const busy = await target.storage();
  const turns = loop.latencies.length;
  if (turns === 0) return undefined;
  const net = (side: 'bot' | 'service') =>
    Math.max(0, total(busy, side) - (total(idle, side) * loop.seconds * 1000) / IDLE_MS) / turns;
  return {
    bot: net('bot'),
    service: net('service'),
    background: ((total(idle, 'bot') + total(idle, 'service')) * 1000) / IDLE_MS,
  };
}

/** System calls per turn; strace sometimes fails to attach to a busy process, so it has two tries. */
async function syscallsPerTurn(target: Target, turn: () => Promise<number>): Promise<Counted['syscalls']> {
  return (await syscallsOnce(target, turn)) ?? (await syscallsOnce(target, turn));
}

/** System calls per turn: strace over a window of turns, minus strace over the same time idle. */
async function syscallsOnce(target: Target, turn: () => Promise<number>): Promise<Counted['syscalls']> {
  const idle = await countSyscalls(target.pid, () => new Promise((r) => setTimeout(r, IDLE_MS)));
  let turns = 0;
  let seconds = 0;
  const busy = await countSyscalls(target.pid, async () => {
    const loop = await closedLoop(CONCURRENCY, COUNT_MS, turn);
    turns = loop.latencies.length;
    seconds = loop.seconds;
  });
  if (!idle || !busy || turns === 0) return undefined;
  const idlePerSecond = (idle.total * 1000) / IDLE_MS;
  return { perTurn: Math.max(0, busy.total - idlePerSecond * seconds) / turns, top: busy.top, idlePerSecond };
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}
