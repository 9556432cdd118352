/**
 * Creates of new runtimes through the runtime service's API (PUT /v1/runtimes/{name}, as the bot
 * sends them: an acting user and an Idempotency-Key), all at once or one at a time, and the wait
 * until every accepted operation has ended. An error is any answer but 202, or no answer.
 */
import { performance } from 'node:perf_hooks';
import { Client } from './http';

const ACTOR = { 'x-acting-user-id': '00000000-0000-0000-0000-0000000000020', 'x-acting-user-name': 'Alex%20Wilber' };
const BODY = { type: 'automatic', vmSize: 'Standard_E4ds_v4' };
const ENDED = new Set(['Succeeded', 'Failed']);

export interface Creates {
  seconds: number;
  /** Answers other than 202, and requests that got no answer, by status ('no answer' for those). */
  errors: Record<string, number>;
  operationIds: string[];
}

export const errorCount = (c: Creates): number => Object.values(c.errors).reduce((a, b) => a + b, 0);

/** `names.length` creates, `inFlight` at a time. */
export async function createRuntimes(baseUrl: string, names: string[], inFlight: number): Promise<Creates> {
  const client = new Client(inFlight);
  const errors: Record<string, number> = {};
  const operationIds: string[] = [];
  let next = 0;
  const create = async (name: string) => {
    const headers = { ...ACTOR, 'Idempotency-Key': `bench-create-${name}` };
    try {
      const answer = await client.request('PUT', `${baseUrl}/v1/runtimes/${name}`, BODY, 60_000, headers);
      if (answer.status === 202) operationIds.push((JSON.parse(answer.body) as { id: string }).id);
      else errors[String(answer.status)] = (errors[String(answer.status)] ?? 0) + 1;
    } catch {
      errors['no answer'] = (errors['no answer'] ?? 0) + 1;
    }
  };
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < names.length) await create(names[next++]);
      }),
    );
    return { seconds: (performance.now() - started) / 1000, errors, operationIds };
  } finally {
    client.close();
  }
}

/** Waits until every operation has ended; returns how many failed or did not end within the deadline. */
export async function untilEnded(baseUrl: string, operationIds: string[], deadlineMs = 120_000): Promise<number> {
  const client = new Client(4);
  const deadline = performance.now() + deadlineMs;
  let unfinished = 0;
  try {
    for (const id of operationIds) {
      for (;;) {
        const answer = await client.request('GET', `${baseUrl}/v1/operations/${id}`);
        const status = answer.status === 200 ? (JSON.parse(answer.body) as { status: string }).status : undefined;
        if (status && ENDED.has(status)) {
          if (status !== 'Succeeded') unfinished++;
          break;
        }
        if (performance.now() > deadline) {
          unfinished++;
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return unfinished;
  } finally {
    client.close();
  }
}
