/**
 * The fuzz run of test/security/fuzz.test.ts. A seeded stream of 10,000 hostile activities (every
 * command with hostile arguments, every card verb with hostile data, odd-typed fields, planted feed
 * tokens) goes through POST /api/messages, then 2,000 hostile REST requests to the runtime service,
 * 4 at a time, against the real bot and service (the demo policy on, so approvals run too). It asserts:
 *  - no 5xx, no exception escaping to the process, no request left hanging, and no error in the log
 *    (a turn or a request that failed on a bug, even where the user got a polite sentence);
 *  - no reply (message, card or invoke answer) with a stack trace, `undefined` or `[object Object]`;
 *  - no stretch of more than 100 ms in which the event loop was busy (a turn that blocks everyone);
 *  - no planted feed token anywhere: replies, log lines, anything ever written to the bot's or the
 *    service's storage (runtime and operation records, events, audit, approvals), in any case.
 *
 * A failure prints its seed; `FUZZ_SEED=<seed> npx vitest run test/security/fuzz.test.ts` replays
 * it. FUZZ_ACTIVITIES and FUZZ_REQUESTS change the counts of the whole stream, for a longer run by hand.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Verb } from '../../../src/core/actions/verbs';
import { createLogger } from '../../../src/logger';
import { visibleText } from '../../channels/teams/support';
import { messageActivity, postActivity } from '../activities';
import { DEMO_POLICY } from '../approvalStack';
import { startEventLoopProbe } from '../eventLoopProbe';
import { RecordingStorage } from '../leaks';
import { type Stack, startStack } from '../stack';
import { ActivityFuzzer } from './activities';
import { Hostile } from './hostile';
import { Random } from './random';
import { RequestFuzzer } from './requests';

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ACTIVITIES = Number(process.env.FUZZ_ACTIVITIES ?? 10_000);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 2_000);
const CONCURRENCY = 4;
const BLOCK_LIMIT_MS = 100;
const TOKEN = /pfTok[A-Za-z0-9]{16}/gi;
/** What only a bug writes: a stack frame, an exception's name, a value turned into text by accident. */
const BROKEN = [
  /^\s*at \S.*:\d+:\d+\)?$/m,
  /\b(?:Type|Reference|Syntax|Range)Error\b/,
  /\bundefined\b/,
  /\[object Object\]/,
  /node_modules|\/src\/\w+\//,
];

/** Defines the fuzz run's test, with its stack and the hooks that watch it. */
export function defineFuzzRun(): void {
  let stack: Stack;
  /** Every token-shaped string seen in a reply, a log line or a write, with where and around what. */
  const sightings: { where: string; token: string; context: string }[] = [];
  const uncaught: unknown[] = [];
  /** Error-level log lines: each is a bug that some input reached. */
  const errors: string[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
    // Looked through as they are made rather than kept: a run writes hundreds of megabytes.
    const log = createLogger('debug', {}, (line) => {
      sight('a log line', line);
      if (line.includes('"level":"error"')) errors.push(line.slice(0, 600));
    });
    const bot = new RecordingStorage((json) => sight("the bot's storage", json));
    const service = new RecordingStorage((json) => sight("the service's storage", json));
    stack = await startStack({ log, storage: { bot, service }, bot: { policyFile: DEMO_POLICY } });
  });

  function sight(where: string, text: string): void {
    for (const match of text.matchAll(TOKEN)) {
      const at = match.index ?? 0;
      sightings.push({ where, token: match[0].toLowerCase(), context: text.slice(Math.max(0, at - 160), at + 60) });
    }
  }

  afterAll(async () => {
    await stack?.close();
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  });

  describe(`fuzzing (seed ${SEED}; replay with FUZZ_SEED=${SEED})`, () => {
    it(
      `should survive ${ACTIVITIES} hostile activities and ${REQUESTS} hostile REST requests`,
      { timeout: 180_000 },
      async () => {
        const random = new Random(SEED);
        const planted = new Hostile(random);
        const loose = new Hostile(random);
        // Generated and serialised up front, in order: a seed gives the same inputs whatever the timing,
        // and the fuzzer's own work is not measured as the bot's.
        const activities = new ActivityFuzzer(random, planted, loose, stack.connector.url);
        const activityList = Array.from({ length: ACTIVITIES }, () => activities.next());
        const activityBodies = activityList.map((a) => JSON.stringify(a));
        const requests = new RequestFuzzer(random, planted, loose);
        const requestList = Array.from({ length: REQUESTS }, () => requests.next());

        const findings: string[] = [];
        const inFlight = new Map<string, unknown>();
        const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
        await warmUp(stack);
        stack.connector.calls.length = 0;
        /** Replies posted to the connector since the last look: checked, then let go. */
        const lookAtReplies = () => {
          for (const call of stack.connector.calls.splice(0)) {
            checkShown(visibleText(call.activity), `a message to ${call.conversationId}`, findings);
            sight('a message or card', JSON.stringify(call));
          }
        };
        const probe = startEventLoopProbe(BLOCK_LIMIT_MS, (block) =>
          findings.push(
            `the event loop was busy ${block.ms} ms (cpu ${block.cpuMs} ms) during: ${[...inFlight.values()].map(summary).join(' | ')}`,
          ),
        );
        try {
          await pool(activityList.length, async (i) => {
            const what = `activity ${i}`;
            inFlight.set(what, activityList[i]);
            try {
              const res = await send(
                agent,
                `${stack.botUrl}/api/messages`,
                'POST',
                { 'Content-Type': 'application/json' },
                activityBodies[i],
              );
              sight('an HTTP answer', res.body);
              if (res.status >= 500)
                findings.push(`${what} got ${res.status} ${res.body.slice(0, 200)}: ${summary(activityList[i])}`);
              checkShown(invokeText(res.body), `the answer to ${what} (${summary(activityList[i])})`, findings);
            } catch (error) {
              findings.push(`${what} failed: ${(error as Error).message}: ${summary(activityList[i])}`);
            } finally {
              inFlight.delete(what);
              lookAtReplies();
            }
          });
          await pool(requestList.length, async (i) => {
            const what = `request ${i}`;
            const { method, path: url, headers, body } = requestList[i];
            inFlight.set(what, requestList[i]);
            try {
              const res = await send(agent, `${stack.serviceUrl}${url}`, method, headers, body);
              sight('an HTTP answer', res.body);
              if (res.status >= 500)
                findings.push(`${what} got ${res.status} ${res.body.slice(0, 200)}: ${summary(requestList[i])}`);
            } catch (error) {
              findings.push(`${what} failed: ${(error as Error).message}: ${summary(requestList[i])}`);
            } finally {
              inFlight.delete(what);
            }
          });
        } finally {
          probe.stop();
          agent.destroy();
        }
        // Every operation the fuzz started runs to its end, so that its records and updates are written too.
        await stack.settle();
        lookAtReplies();

        const plantedTokens = new Set(planted.tokens.map((t) => t.toLowerCase()));
        for (const { where, token, context } of sightings)
          if (plantedTokens.has(token)) findings.push(`a planted token in ${where}: …${context}…`);
        for (const error of uncaught)
          findings.push(`an exception escaped: ${(error as Error)?.stack ?? String(error)}`);
        for (const line of errors) findings.push(`an error in the log: ${line}`);

        expect(planted.tokens.length, 'the fuzzer planted feed tokens').toBeGreaterThan(ACTIVITIES / 10);
        expect(findings.slice(0, 20), `seed ${SEED}: ${findings.length} findings`).toEqual([]);
      },
    );
  });
}

/** Runs `count` jobs, CONCURRENCY at a time. */
async function pool(count: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await job(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/**
 * One ordinary turn of each kind first: templates are parsed and code is compiled on first use, a
 * one-off cost that is not a turn blocking the loop.
 */
async function warmUp(s: Stack): Promise<void> {
  for (const text of ['help', 'status', 'status chat-dev', 'list', 'versions', 'install chat-dev numpy', 'create'])
    await s.say(text);
  for (const verb of Object.values(Verb)) {
    const activity = { ...messageActivity(s.connector.url, ''), type: 'invoke', name: 'adaptiveCard/action' };
    const value = { action: { type: 'Action.Execute', verb, data: { name: 'chat-dev' } } };
    await postActivity(s.botUrl, { ...activity, value });
  }
}

/** One request over a keep-alive connection; node:http, which costs the process less than fetch. */
function send(
  agent: http.Agent,
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end(body !== undefined && method !== 'GET' && method !== 'HEAD' ? body : undefined);
  });
}

/** What a user would read in an invoke answer: its message text, or its card's texts. */
function invokeText(body: string): string {
  if (!body) return '';
  try {
    const value = (JSON.parse(body) as { value?: unknown }).value;
    if (!value || typeof value !== 'object') return '';
    if ((value as { type?: unknown }).type === 'AdaptiveCard') {
      const attachments = [{ contentType: 'application/vnd.microsoft.card.adaptive', content: value }];
      return visibleText({ type: 'message', attachments });
    }
    return visibleText({ type: 'message', ...(value as object) });
  } catch {
    return body;
  }
}

function checkShown(text: string, where: string, findings: string[]): void {
  for (const pattern of BROKEN)
    if (pattern.test(text)) findings.push(`${where} shows ${pattern}: ${text.slice(0, 300)}`);
}

/** The parts of an activity or request that make it hostile, short enough to read in a report. */
function summary(what: unknown): string {
  const {
    type,
    text,
    name,
    value,
    method,
    path: url,
    body,
    channelData,
    from,
    attachments,
  } = what as Record<string, unknown>;
  const parts = { type, text, name, value, method, url, body, channelData, from, attachments };
  const short = (_key: string, v: unknown) =>
    typeof v === 'string' && v.length > 120 ? `${v.slice(0, 120)}…(${v.length})` : v;
  return JSON.stringify(parts, short).slice(0, 600);
}
