/**
 * Bot turns: `status` (the on-call summary card over 500 runtimes) through the real POST /api/messages
 * path — createBotApp, its CloudAdapter, the embedded runtime service over HTTP, the card posted to a
 * loopback connector — against two floors on the same stack, run in the same minute: a bare
 * botbuilder echo bot, and a bare restify handler. Each server runs in its own process; this process
 * is "Teams": it drives 8 turns in flight and receives the replies. Rounds alternate the targets so
 * that a noisy neighbour hurts all three alike.
 */
import { messageActivity } from '../test/helpers/activities';
import { CountingConnector } from './lib/connector';
import { forkTarget, type Target } from './lib/fork';
import { Client, closedLoop, type LoopResult } from './lib/http';
import { figure, type Figure, p50, p99, type SectionResult } from './lib/stats';

const SECTION = 'Bot turns';
const RUNTIMES = 500;
const CONCURRENCY = 8;
const WARMUP_MS = 2_000;
const ROUND_MS = 5_000;
const ROUNDS = 2;

interface Measured {
  throughput: number;
  p50: number;
  p99: number;
  turns: number;
  failed: number;
}

export async function run(): Promise<SectionResult> {
  const started = Date.now();
  const notes: string[] = [];
  const connector = new CountingConnector();
  await connector.start();
  const targets: Target[] = [];
  const client = new Client(CONCURRENCY);
  try {
    targets.push(await forkTarget('restify'), await forkTarget('echo'), await forkTarget('bot', RUNTIMES));
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
    const bytesBefore = connector.bytes;
    await turn(targets[2])();
    const replyBytes = connector.bytes - bytesBefore;
    // What each status turn pulls from the service: the summary the service builds from its records.
    const summaryBytes = Buffer.byteLength((await client.request('GET', `${targets[2].serviceUrl}/v1/summary`)).body);
    const card = JSON.stringify(connector.lastCard ?? '');
    if (!card.includes('On-call summary') || !card.includes(`${RUNTIMES} runtimes`))
      throw new Error(`the status turn did not post the summary card of ${RUNTIMES} runtimes: ${card.slice(0, 300)}`);

    for (const target of targets) await closedLoop(CONCURRENCY, WARMUP_MS, turn(target));
    const runs = new Map<Target, LoopResult[]>(targets.map((t) => [t, []]));
    const cardsBefore = connector.cards;
    for (let round = 0; round < ROUNDS; round++)
      for (const target of targets) runs.get(target)!.push(await closedLoop(CONCURRENCY, ROUND_MS, turn(target)));
    const cardsSent = connector.cards - cardsBefore;

    const measured = new Map<string, Measured>();
    for (const [target, results] of runs) {
      const latencies = results.flatMap((r) => r.latencies);
      const seconds = results.reduce((s, r) => s + r.seconds, 0);
      measured.set(target.kind, {
        throughput: latencies.length / seconds,
        p50: p50(latencies),
        p99: p99(latencies),
        turns: latencies.length,
        failed: results.reduce((s, r) => s + r.failed, 0),
      });
    }
    const bot = measured.get('bot')!;
    const echo = measured.get('echo')!;
    const bare = measured.get('restify')!;
    if (cardsSent !== bot.turns)
      notes.push(`Check failed: ${bot.turns} status turns but ${cardsSent} cards reached the connector.`);
    for (const [kind, m] of measured)
      if (m.failed) notes.push(`${m.failed} ${kind} requests failed (errors or non-2xx); they are not in the figures.`);
    notes.push(
      `${CONCURRENCY} in flight, ${WARMUP_MS / 1000} s warm-up each, then ${ROUNDS} alternating rounds of ${ROUND_MS / 1000} s ` +
        `per target: ${bot.turns} status turns, ${echo.turns} echo turns, ${bare.turns} bare requests. ` +
        `${cardsSent === bot.turns ? 'Every' : 'Not every'} status turn posted the summary card of ${RUNTIMES} runtimes (${cardsSent} cards, ` +
        `${(replyBytes / 1024).toFixed(1)} KB a reply); to build it, each turn gets the on-call summary from the service ` +
        `(${Math.round(summaryBytes / 1024)} KB of JSON), which the service builds from all ${RUNTIMES} records.`,
    );
    notes.push(
      `At ${Math.round(bare.throughput).toLocaleString('en-US')} requests/s the bare restify floor is probably bounded by ` +
        'this driver process, which has the other core: the true gap between the bot and bare restify is at least as large.',
    );
    const f = (name: string, value: number, unit: string, base: string, baseValue: number, better: Figure['better']) =>
      figure(SECTION, name, value, unit, { name: base, value: baseValue }, better);
    return {
      section: SECTION,
      seconds: (Date.now() - started) / 1000,
      notes,
      figures: [
        f('status throughput vs echo bot', bot.throughput, 'turns/s', 'echo bot', echo.throughput, 'higher'),
        f('status throughput vs bare restify', bot.throughput, 'turns/s', 'bare restify', bare.throughput, 'higher'),
        f('status p50 vs echo bot', bot.p50, 'ms', 'echo bot', echo.p50, 'lower'),
        f('status p50 vs bare restify', bot.p50, 'ms', 'bare restify', bare.p50, 'lower'),
        f('status p99 vs echo bot', bot.p99, 'ms', 'echo bot', echo.p99, 'lower'),
        f('status p99 vs bare restify', bot.p99, 'ms', 'bare restify', bare.p99, 'lower'),
        f('echo bot throughput vs bare restify', echo.throughput, 'turns/s', 'bare restify', bare.throughput, 'higher'),
      ],
    };
  } finally {
    client.close();
    for (const t of targets) await t.stop();
    await connector.stop();
  }
}
