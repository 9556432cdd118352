/** JSON bodies over real HTTP: the size cap (declared or streamed), the media type, and the parser's words. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request } from 'restify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJson } from '../../../src/service/http/body';
import { AppError } from '../../../src/errors';

const MAX = 1024;
let server: http.Server;
let url: string;

beforeEach(async () => {
  // Answers with what readJson gave, or the code and message it refused with.
  server = http.createServer((req, res) => {
    readJson(req as unknown as Request, MAX).then(
      (value) => res.end(JSON.stringify({ value: value ?? null })),
      (error: AppError) => res.end(JSON.stringify({ code: error.code, message: error.message })),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function post(body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(url, { method: 'POST', body, headers });
  return (await res.json()) as { value?: unknown; code?: string; message?: string };
}

describe('readJson', () => {
  it('should parse a JSON body, also with a +json media type', async () => {
    expect(await post('{"a":[1,2]}')).toEqual({ value: { a: [1, 2] } });
    expect(await post('{"a":1}', { 'content-type': 'application/merge-patch+json; charset=utf-8' })).toEqual({
      value: { a: 1 },
    });
  });

  it('should read an empty body as no body', async () => {
    expect(await post('')).toEqual({ value: null });
  });

  it('should refuse a body over the cap', async () => {
    expect(await post(JSON.stringify({ a: 'x'.repeat(MAX) }))).toEqual({
      code: 'payload_too_large',
      message: 'The request body is larger than 1 KB.',
    });
  });

  it('should refuse a body that is not sent as JSON', async () => {
    expect(await post('a=1', { 'content-type': 'application/x-www-form-urlencoded' })).toEqual({
      code: 'unsupported_media_type',
      message: 'Send the body as application/json (got application/x-www-form-urlencoded).',
    });
  });

  it('should say where the JSON is broken', async () => {
    const answer = await post('{"a":');
    expect(answer.code).toBe('bad_request');
    expect(answer.message).toMatch(/^The request body is not valid JSON: .+\.$/);
  });
});
