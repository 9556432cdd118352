/**
 * ETag and If-None-Match on the reads a client keeps: the summary, list pages and the versions
 * report answer 304 without a body while nothing changed, and 200 with a new ETag once it did.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ACTORS, createRunning, startTestService, type TestService } from '../../helpers/service';

let s: TestService;
afterEach(async () => {
  await s?.close();
});

describe.each(['/v1/summary', '/v1/runtimes?pageSize=2', '/v1/runtimes?status=running&pageSize=1', '/v1/versions'])(
  'GET %s',
  (path) => {
    it('should answer 304 to its own ETag until something changes, then 200 with a new one', async () => {
      s = await startTestService({ demoData: true });
      const first = await s.request('GET', path);
      expect(first.status).toBe(200);
      const eTag = first.headers.get('etag')!;
      expect(eTag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);

      const again = await s.request('GET', path, { headers: { 'if-none-match': eTag } });
      expect(again.status).toBe(304);
      expect(again.text).toBe('');
      expect(again.headers.get('etag')).toBe(eTag);
      // Weak comparison, and a list of candidates, as RFC 9110 asks of If-None-Match.
      for (const header of [`W/${eTag}`, `"other", ${eTag}`, '*'])
        expect((await s.request('GET', path, { headers: { 'if-none-match': header } })).status).toBe(304);
      expect((await s.request('GET', path, { headers: { 'if-none-match': '"other"' } })).status).toBe(200);

      if (path === '/v1/versions') {
        await s.request('POST', '/v1/versions', { actor: ACTORS.adele, body: { tag: '20991231.v1' } });
      } else {
        await createRunning(s, 'aaa-first'); // sorts first, and is Running
      }
      const changed = await s.request('GET', path, { headers: { 'if-none-match': eTag } });
      expect(changed.status).toBe(200);
      expect(changed.headers.get('etag')).not.toBe(eTag);
      expect(changed.text).not.toBe(first.text);
    });
  },
);

describe('the read model position', () => {
  it('should say which event the summary and a list page reflect, also on a 304', async () => {
    s = await startTestService({ demoData: true });
    const before = await s.request('GET', '/v1/summary');
    const head = (await s.request('GET', '/v1/events?after=0&limit=0')).json.head;
    expect(before.headers.get('x-last-event-id')).toBe(head);

    await createRunning(s, 'pos-rt');
    await s.app.readModel.catchUp();
    const head2 = (await s.request('GET', '/v1/events?after=0&limit=0')).json.head;
    expect(Number(head2)).toBeGreaterThan(Number(head));
    const list = await s.request('GET', '/v1/runtimes');
    expect(list.headers.get('x-last-event-id')).toBe(head2);
    const notModified = await s.request('GET', '/v1/runtimes', {
      headers: { 'if-none-match': list.headers.get('etag')! },
    });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('x-last-event-id')).toBe(head2);
  });
});
