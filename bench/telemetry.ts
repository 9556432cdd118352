/**
 * What OpenTelemetry costs a turn: `status` turns through the real bot and embedded service, with
 * telemetry off (the default: no SDK, no wrappers) and on (batched spans and periodic metrics into
 * memory, as a deployment exports them), each target in its own process, rounds alternating so that
 * a noisy neighbour hurts both alike.
 */
import { messageActivity } from '../test/helpers/activities';
import { CountingConnector } from './lib/connector';
import { forkTarget, type Target } from './lib/fork';
import { Client, closedLoop, type LoopResult } from './lib/http';
import { figure, p50, p99, type SectionResult } from './lib/stats';

const SECTION = 'Telemetry';
const RUNTIMES = 100;
const CONCURRENCY = 8;
const WARMUP_MS = 2_000;
const ROUND_MS = 4_000;
const ROUNDS = 3;

export async function run(): Promise<SectionResult> {
  const started = Date.now();
  const connector = new CountingConnector();
  await connector.start();
  const client = new Client(CONCURRENCY);
  const targets: Target[] = [];
  try {
    targets.push(
      await forkTarget('bot', { runtimes: RUNTIMES }),
      await forkTarget('bot-traced', { runtimes: RUNTIMES }),
    );
    const turn = (target: Target) => async () => {
      const answer = await client.request(
        'POST',
        `${target.url}/api/messages`,
        messageActivity(connector.url, 'status'),
      );
      if (answer.status < 200 || answer.status > 202) throw new Error(`${target.kind} answered ${answer.status}`);
      return answer.ms;
    };
    for (const target of targets) await closedLoop(CONCURRENCY, WARMUP_MS, turn(target));
    const spansBefore = await Promise.all(targets.map((t) => t.spans()));
    const runs = new Map<Target, LoopResult[]>(targets.map((t) => [t, []]));
    for (let round = 0; round < ROUNDS; round++)
      for (const target of targets) runs.get(target)!.push(await closedLoop(CONCURRENCY, ROUND_MS, turn(target)));
    const [off, on] = targets.map((t) => {
      const results = runs.get(t)!;
      const latencies = results.flatMap((r) => r.latencies);
      const seconds = results.reduce((s, r) => s + r.seconds, 0);
      const failed = results.reduce((s, r) => s + r.failed, 0);
      return {
        throughput: latencies.length / seconds,
        p50: p50(latencies),
        p99: p99(latencies),
        turns: latencies.length,
        failed,
      };
    });
    const spansAfter = await Promise.all(targets.map((t) => t.spans()));
    const [spansOff, spansOn] = spansAfter.map((n, i) => n - spansBefore[i]);
    const notes = [
      `${CONCURRENCY} in flight, ${WARMUP_MS / 1000} s warm-up each, then ${ROUNDS} alternating rounds of ${ROUND_MS / 1000} s: ` +
        `${off.turns} turns untraced, ${on.turns} traced; summary of ${RUNTIMES} runtimes.`,
      `In those rounds the traced bot exported ${spansOn.toLocaleString('en-US')} spans (${(spansOn / Math.max(1, on.turns)).toFixed(1)} a turn: the bot's and the embedded service's); the untraced one ${spansOff}.`,
    ];
    if (spansOff !== 0 || spansOn === 0)
      notes.push('Check failed: the untraced bot must export no span and the traced one some.');
    if (off.failed || on.failed) notes.push(`${off.failed + on.failed} requests failed; they are not in the figures.`);
    const base = { name: 'telemetry off' };
    return {
      section: SECTION,
      seconds: (Date.now() - started) / 1000,
      notes,
      figures: [
        figure(
          SECTION,
          'status throughput, telemetry on',
          on.throughput,
          'turns/s',
          { ...base, value: off.throughput },
          'higher',
        ),
        figure(SECTION, 'status p50, telemetry on', on.p50, 'ms', { ...base, value: off.p50 }, 'lower'),
        figure(SECTION, 'status p99, telemetry on', on.p99, 'ms', { ...base, value: off.p99 }, 'lower'),
      ],
    };
  } finally {
    client.close();
    for (const t of targets) await t.stop();
    await connector.stop();
  }
}
