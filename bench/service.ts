/**
 * Runtime service: GET /v1/runtimes?pageSize=100 (first page, and a walk of every page through
 * nextLink), GET /v1/runtimes/{name} and GET /v1/summary, latency p50/p99, and the process's memory,
 * at 10,000 runtimes against the same requests at 100 runtimes, each server in its own process.
 * Per storage kind: `file` runs the service as shipped (file storage under a fresh DATA_DIR, info
 * logs, workers on, the runtimes already on disk at start-up); `memory` is the old bench
 * configuration, kept as an extra. A bare restify handler is the floor. Requests go one at a time
 * (latency, not queueing), in alternating rounds. The storage kind is a parameter (STORAGES): the
 * target reads STORAGE and its settings from the environment; `blob` runs the service as shipped on
 * Azurite, started for this section (a container per server). Then, on each as-shipped server at
 * 10,000 runtimes: 100 concurrent creates against 100 creates one at a time, errors counted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AZURITE_NOTE, blobEnv, startAzurite } from './lib/blob';
import { createRuntimes, type Creates, errorCount, untilEnded } from './lib/creates';
import { forkTarget, type Target } from './lib/fork';
import { Client } from './lib/http';
import { runtimeName } from './lib/fixtures';
import { figure, type Figure, median, p50, p99, type SectionResult } from './lib/stats';
import type { StorageKind } from './lib/target';

const SECTION = 'Runtime service';
const SMALL = 100;
const LARGE = 10_000;
const ROUNDS = 3;
const PAGE_SAMPLES = 40;
const GET_SAMPLES = 200;
const SUMMARY_SAMPLES = 20;
const MB = 2 ** 20;
const CREATES = 100;
const CREATE_ROUNDS = 2;

/** The storage kinds measured, and what each row is called. */
const STORAGES: { kind: StorageKind; label: string }[] = [
  { kind: 'file', label: 'file storage, as shipped' },
  { kind: 'blob', label: 'Blob storage (Azurite), as shipped' },
  { kind: 'memory', label: 'memory storage, workers off' },
];

interface Samples {
  page: number[];
  get: number[];
  summary: number[];
  walks: number[];
  pages: number;
}

export async function run(): Promise<SectionResult> {
  const started = Date.now();
  const client = new Client(1);
  const targets: Target[] = [];
  const dirs: string[] = [];
  const figures: Figure[] = [];
  const notes: string[] = [];
  const azurite = await startAzurite();
  try {
    const bare = await forkTarget('restify');
    targets.push(bare);
    const servers: { kind: StorageKind; label: string; small: Target; large: Target }[] = [];
    for (const { kind, label } of STORAGES) {
      const fork = (runtimes: number) => {
        const dir = mkdtempSync(path.join(os.tmpdir(), `bench-service-${kind}-`));
        dirs.push(dir);
        const blob = kind === 'blob' ? blobEnv(azurite, `bench-service-${runtimes}`) : {};
        const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dir, ...blob };
        return forkTarget('service', { runtimes, storage: kind, env });
      };
      const t0 = performance.now();
      const large = await fork(LARGE);
      const ready = (performance.now() - t0) / 1000;
      const small = await fork(SMALL);
      servers.push({ kind, label, small, large });
      targets.push(small, large);
      notes.push(
        `${label}: writing ${LARGE.toLocaleString('en-US')} runtimes (16 batches of 25 in flight through the storage ` +
          `interface) took ${large.seedSeconds.toFixed(1)} s; with starting the service on them (one cold read of ` +
          `every record into the read model) ${ready.toFixed(1)} s.`,
      );
    }
    const sizes = new Map<Target, number>([[bare, 1]]);
    for (const s of servers) sizes.set(s.small, SMALL).set(s.large, LARGE);
    const samples = new Map<Target, Samples>(
      targets.map((t) => [t, { page: [], get: [], summary: [], walks: [], pages: 0 }]),
    );
    const get = async (url: string) => {
      const answer = await client.request('GET', url);
      if (answer.status !== 200) throw new Error(`GET ${url} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
      return answer;
    };
    let seed = 1;
    const pick = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return runtimeName(seed % n);
    };
    const walk = async (t: Target) => {
      const t0 = performance.now();
      let next: string | undefined = '/v1/runtimes?pageSize=100';
      let seen = 0;
      let pages = 0;
      while (next) {
        const page = JSON.parse((await get(`${t.url}${next}`)).body) as { value: unknown[]; nextLink?: string };
        seen += page.value.length;
        pages++;
        next = page.nextLink;
      }
      if (seen !== sizes.get(t)) throw new Error(`a walk saw ${seen} runtimes, not ${sizes.get(t)}`);
      samples.get(t)!.pages = pages;
      return (performance.now() - t0) / 1000;
    };

    for (const t of targets) for (let i = 0; i < 10; i++) await get(`${t.url}/v1/runtimes?pageSize=100`); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets) {
        const s = samples.get(t)!;
        for (let i = 0; i < PAGE_SAMPLES; i++) s.page.push((await get(`${t.url}/v1/runtimes?pageSize=100`)).ms);
        for (let i = 0; i < GET_SAMPLES; i++) s.get.push((await get(`${t.url}/v1/runtimes/${pick(sizes.get(t)!)}`)).ms);
        if (t === bare) continue;
        for (let i = 0; i < SUMMARY_SAMPLES; i++) s.summary.push((await get(`${t.url}/v1/summary`)).ms);
        s.walks.push(await walk(t));
      }
    }

    const at = (n: number) => `${n.toLocaleString('en-US')} runtimes`;
    const f = (name: string, value: number, unit: string, base: string, baseValue: number) =>
      figure(SECTION, name, value, unit, { name: base, value: baseValue });
    const B = samples.get(bare)!;
    for (const { label, small, large } of servers) {
      const S = samples.get(small)!;
      const L = samples.get(large)!;
      const [ms, ml] = [await small.memory(), await large.memory()];
      figures.push(
        f(`${label}: list first page p50 @ ${at(LARGE)}`, p50(L.page), 'ms', at(SMALL), p50(S.page)),
        f(`${label}: list first page p99 @ ${at(LARGE)}`, p99(L.page), 'ms', at(SMALL), p99(S.page)),
        f(`${label}: list first page p50 @ ${at(SMALL)}`, p50(S.page), 'ms', 'bare restify', p50(B.page)),
        f(
          `${label}: list full walk (${L.pages} pages) @ ${at(LARGE)}`,
          median(L.walks),
          's',
          `${at(SMALL)}, ${S.pages} page`,
          median(S.walks),
        ),
        f(`${label}: get p50 @ ${at(LARGE)}`, p50(L.get), 'ms', at(SMALL), p50(S.get)),
        f(`${label}: get p99 @ ${at(LARGE)}`, p99(L.get), 'ms', at(SMALL), p99(S.get)),
        f(`${label}: summary p50 @ ${at(LARGE)}`, p50(L.summary), 'ms', at(SMALL), p50(S.summary)),
        f(`${label}: RSS after the requests @ ${at(LARGE)}`, ml.rss / MB, 'MB', at(SMALL), ms.rss / MB),
        f(
          `${label}: heapUsed growth from start-up @ ${at(LARGE)}`,
          (ml.heapUsed - large.before.heapUsed) / MB,
          'MB',
          at(SMALL),
          (ms.heapUsed - small.before.heapUsed) / MB,
        ),
      );
      notes.push(
        `${label}: ${Math.round((ml.heapUsed - large.before.heapUsed) / LARGE)} bytes of heap a runtime at ` +
          `${at(LARGE)} after GC (the read model's projection; on memory storage also the stored records).`,
      );
    }
    // Creates last: they add runtimes, and the figures above are at exactly 100 and 10,000.
    for (const { kind, label, large } of servers) {
      if (kind === 'memory') continue;
      const { concurrent, sequential, unfinished } = await creates(large, kind);
      const wall = (c: Creates[]) => c.reduce((sum, r) => sum + r.seconds, 0) / c.length;
      const errors = [...concurrent, ...sequential].flatMap((c) => Object.entries(c.errors));
      figures.push(
        f(
          `${label}: ${CREATES} concurrent creates @ ${at(LARGE)}, wall time`,
          wall(concurrent),
          's',
          `${CREATES} creates one at a time`,
          wall(sequential),
        ),
        figure(
          SECTION,
          `${label}: errors in ${CREATE_ROUNDS} × ${CREATES} concurrent creates`,
          concurrent.reduce((n, c) => n + errorCount(c), 0),
          'errors',
          { name: 'goal', value: 0 },
        ),
      );
      notes.push(
        `${label}: ${CREATE_ROUNDS} alternating rounds of ${CREATES} creates one at a time and ${CREATES} at once ` +
          `(PUT /v1/runtimes/{name} with an acting user and an Idempotency-Key, on the server at ${at(LARGE)}), ` +
          `wall time the mean of the rounds; ${errors.length ? `errors: ${errors.map(([s, n]) => `${n}×${s}`).join(', ')}` : 'every create answered 202'}; ` +
          `${unfinished ? `${unfinished} accepted operations failed or did not end within 2 minutes` : 'every accepted operation ended Succeeded'}.`,
      );
    }

    notes.unshift(
      `${ROUNDS} alternating rounds of ${PAGE_SAMPLES} first pages, ${GET_SAMPLES} gets of random names, ` +
        `${SUMMARY_SAMPLES} summaries and one full walk per server; one request at a time, no If-None-Match (every ` +
        'answer is built and sent). Memory after GC; heapUsed growth is from just before the runtimes were written.',
    );
    notes.push(AZURITE_NOTE);
    return { section: SECTION, seconds: (Date.now() - started) / 1000, figures, notes };
  } finally {
    client.close();
    for (const t of targets) await t.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await azurite.dispose();
  }
}

/** Alternating rounds of creates one at a time and all at once, each round's operations ended before the next. */
async function creates(
  target: Target,
  kind: StorageKind,
): Promise<{ concurrent: Creates[]; sequential: Creates[]; unfinished: number }> {
  const concurrent: Creates[] = [];
  const sequential: Creates[] = [];
  let unfinished = 0;
  const names = (how: string, round: number) =>
    Array.from({ length: CREATES }, (_, i) => `bench-${kind}-${how}-${round}-${String(i).padStart(3, '0')}`);
  for (let round = 0; round < CREATE_ROUNDS; round++) {
    const one = await createRuntimes(target.url, names('seq', round), 1);
    unfinished += await untilEnded(target.url, one.operationIds);
    const all = await createRuntimes(target.url, names('all', round), CREATES);
    unfinished += await untilEnded(target.url, all.operationIds);
    sequential.push(one);
    concurrent.push(all);
  }
  return { concurrent, sequential, unfinished };
}
