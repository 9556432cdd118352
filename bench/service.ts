/**
 * Runtime service: GET /v1/runtimes?pageSize=100 (first page, and a walk of every page through
 * nextLink) and GET /v1/runtimes/{name}, latency p50/p99, and the process's memory, at 10,000
 * runtimes; baselines the same requests at 100 runtimes and a bare restify handler, each server in
 * its own process. Requests go one at a time (latency, not queueing), in alternating rounds.
 */
import { forkTarget, type Target } from './lib/fork';
import { Client } from './lib/http';
import { runtimeName } from './lib/fixtures';
import { figure, type Figure, median, p50, p99, type SectionResult } from './lib/stats';

const SECTION = 'Runtime service';
const SMALL = 100;
const LARGE = 10_000;
const ROUNDS = 3;
const PAGE_SAMPLES = 40;
const GET_SAMPLES = 200;
const MB = 2 ** 20;

interface Samples {
  page: number[];
  get: number[];
  walks: number[];
  pages: number;
}

export async function run(): Promise<SectionResult> {
  const started = Date.now();
  const client = new Client(1);
  const targets: Target[] = [];
  try {
    const bare = await forkTarget('restify');
    const small = await forkTarget('service', SMALL);
    const large = await forkTarget('service', LARGE);
    targets.push(bare, small, large);
    const sizes = new Map<Target, number>([
      [bare, 1],
      [small, SMALL],
      [large, LARGE],
    ]);
    const samples = new Map<Target, Samples>(targets.map((t) => [t, { page: [], get: [], walks: [], pages: 0 }]));
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
        if (t !== bare) s.walks.push(await walk(t));
      }
    }
    const memory = new Map<Target, { rss: number; maxRss: number; heapDelta: number }>();
    for (const t of [small, large]) {
      const after = await t.memory();
      memory.set(t, {
        rss: after.rss / MB,
        maxRss: after.maxRss / MB,
        heapDelta: (after.heapUsed - t.before.heapUsed) / MB,
      });
    }
    const [ms, ml] = [memory.get(small)!, memory.get(large)!];

    const S = samples.get(small)!;
    const L = samples.get(large)!;
    const B = samples.get(bare)!;
    const at = (n: number) => `${n.toLocaleString('en-US')} runtimes`;
    const f = (name: string, value: number, unit: string, base: string, baseValue: number) =>
      figure(SECTION, name, value, unit, { name: base, value: baseValue });
    const figures: Figure[] = [
      f(`list first page p50 @ ${at(LARGE)}`, p50(L.page), 'ms', at(SMALL), p50(S.page)),
      f(`list first page p99 @ ${at(LARGE)}`, p99(L.page), 'ms', at(SMALL), p99(S.page)),
      f(`list first page p50 @ ${at(SMALL)}`, p50(S.page), 'ms', 'bare restify', p50(B.page)),
      f(
        `list full walk (${L.pages} pages) @ ${at(LARGE)}`,
        median(L.walks),
        's',
        `${at(SMALL)}, ${S.pages} page`,
        median(S.walks),
      ),
      f(`get p50 @ ${at(LARGE)}`, p50(L.get), 'ms', at(SMALL), p50(S.get)),
      f(`get p99 @ ${at(LARGE)}`, p99(L.get), 'ms', at(SMALL), p99(S.get)),
      f(`get p50 @ ${at(SMALL)}`, p50(S.get), 'ms', 'bare restify', p50(B.get)),
      f(`RSS after the requests @ ${at(LARGE)}`, ml.rss, 'MB', at(SMALL), ms.rss),
      f(`peak RSS @ ${at(LARGE)}`, ml.maxRss, 'MB', at(SMALL), ms.maxRss),
      f(`heapUsed growth from start-up @ ${at(LARGE)}`, ml.heapDelta, 'MB', at(SMALL), ms.heapDelta),
    ];
    const notes = [
      `${ROUNDS} alternating rounds of ${PAGE_SAMPLES} first pages, ${GET_SAMPLES} gets of random names and one full walk per ` +
        `server; one request at a time. Memory after GC; heapUsed growth is from just after start-up (before the ` +
        `runtimes were written) to after the requests: ${Math.round((ml.heapDelta * MB) / LARGE)} bytes a runtime at ` +
        `${at(LARGE)}.`,
    ];
    const walkPerPage = (median(L.walks) * 1000) / L.pages;
    if (walkPerPage > 5 * p50(S.page))
      notes.push(
        `Bottleneck: every page costs as much as the first (${walkPerPage.toFixed(0)} ms a page at ${at(LARGE)}), because ` +
          'RuntimeViews.list reads, parses and sorts every runtime record for each page (MemoryStorage.list also scans ' +
          'every key), so a full walk grows with the square of the runtimes: ' +
          `${(median(L.walks) / median(S.walks)).toFixed(0)}× the time for ${LARGE / SMALL}× the runtimes.`,
      );
    return { section: SECTION, seconds: (Date.now() - started) / 1000, figures, notes };
  } finally {
    client.close();
    for (const t of targets) await t.stop();
  }
}
