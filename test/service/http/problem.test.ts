/**
 * The one HTTP error mapper, through a real restify server: an error's typed fields become the
 * status, the Retry-After header and the problem body's members, and nothing else about it does.
 */
import type { AddressInfo } from 'node:net';
import restify from 'restify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, ErrorCode } from '../../../src/errors';
import { sendProblem, toProblem } from '../../../src/service/http/problem';
import { AzureMlError } from '../../../src/service/providers/azureml/errors';

let server: restify.Server;
let baseUrl: string;
let next: unknown;

beforeAll(async () => {
  server = restify.createServer({ handleUncaughtExceptions: false });
  server.get('/fail', async (_req: restify.Request, res: restify.Response) => sendProblem(res, toProblem(next)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function answerTo(error: unknown) {
  next = error;
  const res = await fetch(`${baseUrl}/fail`);
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

describe('problem+json from typed errors', () => {
  it("should say when to try again from the error's retryAfterMs, in the header and the body", async () => {
    const busy = await answerTo(new AppError(ErrorCode.Overloaded, 'Busy.', { retryAfterMs: 7000 }));
    expect(busy).toMatchObject({ status: 503, retryAfter: '7', body: { code: 'overloaded', retryAfterMs: 7000 } });

    const capped = await answerTo(new AppError(ErrorCode.TooManyRequests, 'Too many.', { retryAfterMs: 2500 }));
    expect(capped).toMatchObject({ status: 429, retryAfter: '3', body: { retryAfterMs: 2500 } });
  });

  it('should fall back to a default wait when a 503 has no hint, and send none with a 4xx', async () => {
    const down = await answerTo(new AppError(ErrorCode.Unavailable, 'Down.'));
    expect(down).toMatchObject({ status: 503, retryAfter: '5' });
    expect(down.body).not.toHaveProperty('retryAfterMs');

    const missing = await answerTo(new AppError(ErrorCode.NotFound, 'No such runtime.', { retryAfterMs: 9000 }));
    expect(missing.status).toBe(404);
    expect(missing.retryAfter).toBeNull();
  });

  it('should name the operation in the way of a conflict', async () => {
    const busy = await answerTo(new AppError(ErrorCode.Busy, 'rt-a is busy.', { operationId: 'op-9' }));
    expect(busy).toMatchObject({ status: 409, body: { code: 'runtime_busy', operationId: 'op-9' } });
  });

  it("should keep a provider's own facts about a failure off the wire", async () => {
    const error = new AzureMlError(ErrorCode.Unavailable, 'Azure ML is unavailable right now (502).', {
      azureStatus: 502,
      ambiguous: true,
      retryable: true,
    });
    const answer = await answerTo(error);
    expect(answer.status).toBe(503);
    expect(Object.keys(answer.body).sort()).toEqual(['code', 'detail', 'status', 'title', 'type']);
  });
});
