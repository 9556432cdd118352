import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../../src/clock';
import { type AuditAction, type AuditEntry, AuditLog, SYSTEM_ACTOR } from '../../../src/core/audit/auditLog';
import { FileStorage } from '../../../src/storage/fileStorage';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { EtagConflictError, IF_NONE_MATCH, type Storage } from '../../../src/storage/storage';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse('2026-11-20T09:00:00Z');
const tmpDirs: string[] = [];

afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => fsp.rm(d, { recursive: true, force: true })));
});

function entry(action: AuditAction, runtime?: string, details?: Record<string, unknown>) {
  return {
    action,
    actor: { id: 'aad-ada', name: 'Ada' },
    ...(runtime ? { runtime } : {}),
    conversation: { id: '19:abc@thread.tacv2', type: 'channel' },
    ...(details ? { details } : {}),
  };
}

/** Every stored audit entry, straight from storage (eTags and all), oldest first. */
async function rawEntries(storage: Storage): Promise<Record<string, unknown>[]> {
  const keys: string[] = [];
  for (const marker of await storage.list('audit-days/')) {
    keys.push(...(await storage.list(`audit-${marker.slice('audit-days/'.length)}/`)));
  }
  const found = await storage.read(keys);
  return keys.sort().map((k) => found[k]);
}

async function collect(lines: AsyncGenerator<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

describe('AuditLog', () => {
  let storage: MemoryStorage;
  let clock: FakeClock;
  let log: AuditLog;

  beforeEach(() => {
    storage = new MemoryStorage();
    clock = new FakeClock(START);
    log = new AuditLog(storage, clock);
  });

  describe('append and recent', () => {
    it('should store each entry under its UTC day with a time-based id and an ISO time', async () => {
      const stored = await log.append(entry('request', 'rt-a'));
      expect(stored.at).toBe('2026-11-20T09:00:00.000Z');
      expect(stored.id).toMatch(new RegExp(`^0*${START}-[0-9a-z]+$`));
      expect(await storage.list('audit-20261120/')).toEqual([`audit-20261120/${stored.id}`]);
    });

    it('should list entries newest first across several days', async () => {
      const actions: AuditAction[] = ['request', 'approve', 'execute', 'result'];
      for (const action of actions) {
        await log.append(entry(action, 'rt-a'));
        clock.advance(DAY + HOUR);
      }
      const recent = await log.recent();
      expect(recent.map((e) => e.action)).toEqual(['result', 'execute', 'approve', 'request']);
      expect(new Set(recent.map((e) => e.at.slice(0, 10))).size).toBe(4);
    });

    it("should keep one replica's entries of the same millisecond in append order", async () => {
      for (const action of ['request', 'approve', 'execute', 'result'] as const) await log.append(entry(action));
      expect((await log.recent()).map((e) => e.action)).toEqual(['result', 'execute', 'approve', 'request']);
    });

    it('should leave out days older than the window', async () => {
      await log.append(entry('request'));
      clock.advance(40 * DAY);
      await log.append({ action: 'expire', actor: SYSTEM_ACTOR });
      expect((await log.recent()).map((e) => e.action)).toEqual(['expire']);
      expect((await log.recent({ days: 41 })).map((e) => e.action)).toEqual(['expire', 'request']);
    });

    it('should filter by runtime, ignoring case', async () => {
      await log.append(entry('request', 'Team-GPU'));
      await log.append(entry('request', 'other'));
      await log.append(entry('grant'));
      await log.append(entry('execute', 'team-gpu'));
      const recent = await log.recent({ runtime: 'TEAM-gpu' });
      expect(recent.map((e) => [e.action, e.runtime])).toEqual([
        ['execute', 'team-gpu'],
        ['request', 'Team-GPU'],
      ]);
    });

    it('should stop at the limit, 20 by default, taking the newest', async () => {
      for (let i = 0; i < 25; i++) {
        await log.append(entry('request', i % 2 ? 'odd' : 'even', { i }));
        clock.advance(HOUR);
      }
      const all = await log.recent();
      expect(all).toHaveLength(20);
      expect(all[0].details).toEqual({ i: 24 });
      expect((await log.recent({ limit: 3 })).map((e) => e.details?.i)).toEqual([24, 23, 22]);
      expect((await log.recent({ limit: 2, runtime: 'odd' })).map((e) => e.details?.i)).toEqual([23, 21]);
    });

    it('should return nothing when nothing was recorded', async () => {
      expect(await log.recent()).toEqual([]);
      expect(await collect(log.export())).toEqual([]);
    });

    it('should read back exactly what append returned, without storage eTags', async () => {
      const stored = await log.append({ ...entry('approve', 'rt-a'), kind: 'reset', approvalId: 'ap-1' });
      expect(await log.recent()).toEqual([stored]);
      expect(stored).not.toHaveProperty('eTag');
    });
  });

  const backends: [string, () => Promise<Storage>][] = [
    ['MemoryStorage', async () => new MemoryStorage()],
    [
      'FileStorage',
      async () => {
        const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'audit-test-'));
        tmpDirs.push(dir);
        return new FileStorage(dir);
      },
    ],
  ];

  describe.each(backends)('concurrent appends on %s', (_name, make) => {
    it('should keep all 50 entries of two replicas appending at once', async () => {
      const shared = await make();
      // One frozen clock: every entry lands in the same millisecond, the worst case for ids.
      const replicas = [new AuditLog(shared, clock), new AuditLog(shared, clock)];
      const appended = await Promise.all(
        Array.from({ length: 50 }, (_, i) => replicas[i % 2].append(entry('request', 'rt', { i }))),
      );
      expect(new Set(appended.map((e) => e.id)).size).toBe(50);
      const raw = await rawEntries(shared);
      expect(raw).toHaveLength(50);
      expect(raw.map((e) => (e.details as { i: number }).i).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, i) => i),
      );
      expect(await new AuditLog(shared, clock).recent({ limit: 100 })).toHaveLength(50);
    });
  });

  describe('append-only', () => {
    it('should offer no way to change or remove an entry', () => {
      expect(log).toHaveProperty('append');
      for (const name of ['update', 'replace', 'put', 'delete', 'remove', 'clear', 'prune']) {
        expect(log).not.toHaveProperty(name);
      }
    });

    it('should refuse to create a key that exists already', async () => {
      const first = await log.append(entry('request', 'rt-a'));
      const key = `audit-20261120/${first.id}`;
      await expect(storage.write({ [key]: { ...first, action: 'deny', eTag: IF_NONE_MATCH } })).rejects.toThrow(
        EtagConflictError,
      );
      expect((await storage.read([key]))[key]).toMatchObject({ action: 'request' });
    });

    it('should pick a fresh id rather than overwrite when another replica drew the same one', async () => {
      const rigged = () => 'same';
      const a = new AuditLog(storage, clock, { random: rigged });
      const b = new AuditLog(storage, clock, { random: rigged });
      const write = vi.spyOn(storage, 'write');
      const first = await a.append(entry('request', 'rt-a'));
      const second = await b.append(entry('deny', 'rt-a'));
      expect(write.mock.settledResults.filter((r) => r.type === 'rejected')).toHaveLength(2); // day marker, id
      expect(second.id).not.toBe(first.id);
      expect((await rawEntries(storage)).map((e) => e.action)).toEqual(['request', 'deny']);
    });

    it('should fail, not overwrite, when every retry collides', async () => {
      const rigged = () => 'same';
      const a = new AuditLog(storage, clock, { random: rigged });
      for (const action of ['request', 'approve', 'execute'] as const) await a.append(entry(action));
      const b = new AuditLog(storage, clock, { random: rigged });
      await expect(b.append(entry('deny'))).rejects.toThrow(EtagConflictError);
      expect((await rawEntries(storage)).map((e) => e.action)).toEqual(['request', 'approve', 'execute']);
    });

    it('should keep its own id and time even if the caller passes some', async () => {
      // Typed callers cannot, but an object spread from an exported entry could.
      const sneaky: Parameters<AuditLog['append']>[0] & Pick<AuditEntry, 'id' | 'at'> = {
        ...entry('grant'),
        id: 'forged',
        at: '2000-01-01T00:00:00Z',
      };
      const stored = await log.append(sneaky);
      expect(stored.id).not.toBe('forged');
      expect(stored.at).toBe('2026-11-20T09:00:00.000Z');
    });
  });

  describe('secrets', () => {
    it('should never store a secret in clear', async () => {
      const returned = await log.append(
        entry('request', 'rt-a', {
          requirements: ['pandas==2.2.0', '-i https://TOKEN123@feed/simple'],
          password: 'hunter2',
          env: { note: 'api_key=sk-abc123', authorization: 'Bearer abcdefghijkl' },
        }),
      );
      const raw = JSON.stringify(await rawEntries(storage));
      for (const secret of ['TOKEN123', 'hunter2', 'sk-abc123', 'abcdefghijkl']) {
        expect(raw).not.toContain(secret);
        expect(JSON.stringify(returned)).not.toContain(secret);
      }
      expect(raw).toContain('https://***@feed/simple');
      expect(raw).toContain('pandas==2.2.0');
    });

    it('should drop details nested deeper than redaction looks', async () => {
      let deep: Record<string, unknown> = { password: 'hunter2', url: 'https://TOKEN123@feed' };
      for (let i = 0; i < 12; i++) deep = { deeper: deep };
      await log.append(entry('result', 'rt-a', deep));
      const raw = JSON.stringify(await rawEntries(storage));
      expect(raw).not.toContain('hunter2');
      expect(raw).not.toContain('TOKEN123');
    });
  });

  describe('export', () => {
    async function seed(): Promise<AuditEntry[]> {
      const out: AuditEntry[] = [];
      // 2026-11-20T09:00Z, then every 10 hours: five entries over three UTC days.
      for (const action of ['request', 'approve', 'execute', 'result', 'revoke'] as const) {
        out.push(await log.append(entry(action, 'rt-a')));
        clock.advance(10 * HOUR);
      }
      return out;
    }

    it('should yield one valid JSON entry per line, oldest first', async () => {
      const seeded = await seed();
      const lines = await collect(log.export());
      expect(lines.every((l) => !l.includes('\n'))).toBe(true);
      const parsed = lines.map((l) => JSON.parse(l) as AuditEntry);
      expect(parsed).toEqual(seeded);
      expect(parsed.map((e) => e.at)).toEqual([...parsed.map((e) => e.at)].sort());
    });

    it('should respect since (inclusive) and until (exclusive; a bare date covers its whole day)', async () => {
      await seed(); // 20th 09:00, 20th 19:00, 21st 05:00, 21st 15:00, 22nd 01:00
      const actions = async (range: { since?: string; until?: string }) =>
        (await collect(log.export(range))).map((l) => (JSON.parse(l) as AuditEntry).action);
      expect(await actions({ since: '2026-11-21' })).toEqual(['execute', 'result', 'revoke']);
      expect(await actions({ until: '2026-11-20' })).toEqual(['request', 'approve']);
      expect(await actions({ since: '2026-11-21', until: '2026-11-21' })).toEqual(['execute', 'result']);
      expect(await actions({ since: '2026-11-20T19:00:00Z', until: '2026-11-21T15:00:00Z' })).toEqual([
        'approve',
        'execute',
      ]);
      expect(await actions({ since: '2026-11-21T06:00:00+01:00' })).toEqual(['execute', 'result', 'revoke']);
      expect(await actions({ since: '2026-12-01' })).toEqual([]);
    });

    it('should reject a malformed or impossible date', async () => {
      for (const bad of ['yesterday', '2026-02-30', '2026-11-01T10:00', '20261101', '2026-11-01T25:00Z']) {
        await expect(collect(log.export({ since: bad }))).rejects.toThrow(/--since must be a date/);
      }
      await expect(collect(log.export({ until: 'soon' }))).rejects.toThrow(/--until must be a date/);
    });

    it('should read one day at a time while streaming', async () => {
      await seed();
      const list = vi.spyOn(storage, 'list');
      const lines = log.export();
      await lines.next();
      expect(list.mock.calls.map(([prefix]) => prefix)).toEqual(['audit-days/', 'audit-20261120/']);
      await collect(lines);
      expect(list.mock.calls.map(([prefix]) => prefix)).toEqual([
        'audit-days/',
        'audit-20261120/',
        'audit-20261121/',
        'audit-20261122/',
      ]);
    });
  });
});
