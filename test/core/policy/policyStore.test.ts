/** PolicyStore: loading, hot reload from a real temp file, broken edits, and the chat overlay. */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/clock';
import { PolicyError } from '../../../src/core/policy/policy';
import { PolicyStore } from '../../../src/core/policy/policyStore';
import { createLogger } from '../../../src/logger';
import { MemoryStorage } from '../../../src/storage/memoryStorage';

const MEGAN = '00000000-0000-0000-0000-0000000000021';
const ALEX = '00000000-0000-0000-0000-0000000000020';
const ADELE = '00000000-0000-0000-0000-0000000000022';
const ISAIAH = '00000000-0000-0000-0000-0000000000023';

const policyText = (opts: { dataScientists?: string[]; defaultRole?: string; approvals?: number } = {}) =>
  [
    'roles:',
    '  owner:',
    `    - id: ${MEGAN}`,
    '      name: Megan Bowen',
    '  dataScientist:',
    ...(opts.dataScientists ?? [ALEX, ADELE]).map((id) => `    - ${id}`),
    ...(opts.defaultRole ? [`defaultRole: ${opts.defaultRole}`] : []),
    'rules:',
    `  - {operations: [reset], runtimes: [prod-*], approvals: ${opts.approvals ?? 1}}`,
    '',
  ].join('\n');

let dir: string;
let file: string;
let logs: Record<string, unknown>[];
const stores: PolicyStore[] = [];

function makeStore(options: { file?: string; pollMs?: number } = { file: undefined }) {
  const log = createLogger('debug', {}, (line) => logs.push(JSON.parse(line)));
  const store = new PolicyStore({ storage: new MemoryStorage(), clock: new FakeClock(), log, ...options });
  stores.push(store);
  return store;
}

async function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting for the policy to reload');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'policy-'));
  file = path.join(dir, 'policy.yaml');
  logs = [];
});

afterEach(() => {
  for (const store of stores.splice(0)) store.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('PolicyStore loading', () => {
  it('should run in open mode without a file', async () => {
    const store = makeStore();
    await store.load();
    store.start();
    expect(store.current()).toBeUndefined();
    expect(await store.rolesOf(ALEX)).toEqual([]);
    expect(await store.people('owner')).toEqual([]);
    expect(await store.reload()).toEqual({ ok: true });
  });

  it('should load the file and answer roles', async () => {
    writeFileSync(file, policyText({ defaultRole: 'viewer' }));
    const store = makeStore({ file });
    await store.load();
    expect(store.current()?.source).toBe(file);
    expect(await store.rolesOf(MEGAN)).toEqual(['owner']);
    expect(await store.rolesOf(ALEX.toUpperCase())).toEqual(['dataScientist']);
    expect(await store.rolesOf(ISAIAH)).toEqual(['viewer']);
    expect(await store.hasRole(ADELE, 'dataScientist')).toBe(true);
    expect(await store.hasRole(ADELE, 'owner')).toBe(false);
    expect(await store.people('owner')).toEqual([{ objectId: MEGAN, name: 'Megan Bowen' }]);
    expect(store.nameOf(MEGAN)).toBe('Megan Bowen');
    expect(store.nameOf(ALEX)).toBeUndefined();
    expect(logs.some((l) => l.msg === 'policy loaded')).toBe(true);
  });

  it('should give no role to unlisted people when there is no defaultRole', async () => {
    writeFileSync(file, policyText());
    const store = makeStore({ file });
    await store.load();
    expect(await store.rolesOf(ISAIAH)).toEqual([]);
  });

  it('should refuse to start with a broken file, with line and column', async () => {
    writeFileSync(file, policyText().replace('approvals: 1', 'approvals: 11'));
    const store = makeStore({ file });
    const error = (await store.load().catch((e: unknown) => e)) as PolicyError;
    expect(error).toBeInstanceOf(PolicyError);
    expect(error.message).toBe('policy.yaml line 9, column 58: approvals must be a whole number from 0 to 10');
    expect(store.current()).toBeUndefined();
    expect(store.lastError()).toBe(error);
  });

  it('should refuse to start when the file is missing', async () => {
    const store = makeStore({ file: path.join(dir, 'nope.yaml') });
    await expect(store.load()).rejects.toThrow('nope.yaml: the policy file cannot be read (ENOENT)');
  });

  it('should refuse a file over 1 MB without parsing it', async () => {
    writeFileSync(file, `${policyText()}# ${'x'.repeat(1024 * 1024)}\n`);
    const store = makeStore({ file });
    await expect(store.load()).rejects.toThrow('policy.yaml: the policy file is larger than 1 MB');
  });

  it('should not be fooled by names such as constructor', async () => {
    writeFileSync(file, policyText());
    const store = makeStore({ file });
    await store.load();
    expect(store.nameOf('constructor')).toBeUndefined();
    expect(store.nameOf('toString')).toBeUndefined();
  });
});

describe('PolicyStore reloading', () => {
  it('should pick up a change to the file within a few poll intervals', async () => {
    writeFileSync(file, policyText());
    const store = makeStore({ file, pollMs: 50 });
    await store.load();
    store.start();
    writeFileSync(file, policyText({ approvals: 3, defaultRole: 'viewer' }));
    await eventually(() => store.current()?.rules[0].approvals === 3);
    expect(store.current()?.defaultRole).toBe('viewer');
  });

  it('should pick up an edit made between load() and start()', async () => {
    writeFileSync(file, policyText());
    const store = makeStore({ file, pollMs: 50 });
    await store.load();
    writeFileSync(file, policyText({ approvals: 7, defaultRole: 'viewer' }));
    store.start();
    await eventually(() => store.current()?.rules[0].approvals === 7);
  });

  it('should pick up a file replaced by rename, as editors save', async () => {
    writeFileSync(file, policyText());
    const store = makeStore({ file, pollMs: 50 });
    await store.load();
    store.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    writeFileSync(`${file}.tmp`, policyText({ approvals: 6 }));
    renameSync(`${file}.tmp`, file);
    await eventually(() => store.current()?.rules[0].approvals === 6);
  });

  it('should keep the previous policy after a broken edit and report where it broke', async () => {
    writeFileSync(file, policyText());
    const store = makeStore({ file, pollMs: 50 });
    await store.load();
    const before = store.current();
    store.start();
    // A different size too: mtimes are coarse, so a same-size edit within a few ms may go unseen.
    writeFileSync(file, policyText().replace('  dataScientist:', '  datascientists:'));
    await eventually(() => store.lastError() !== undefined);
    expect(store.current()).toBe(before);
    expect(store.lastError()).toMatchObject({ line: 5, column: 3 });
    expect(store.lastError()?.message).toContain('unknown role "datascientists"');
    const warning = logs.find((l) => l.level === 'warn');
    expect(warning).toMatchObject({ line: 5, column: 3 });
    expect(warning?.msg).toBe('policy not reloaded; the previous policy stays in force');
    expect(await store.rolesOf(ALEX)).toEqual(['dataScientist']);

    writeFileSync(file, policyText({ approvals: 2 }));
    await eventually(() => store.lastError() === undefined);
    expect(store.current()?.rules[0].approvals).toBe(2);
  });

  it('should keep the previous policy when the file is deleted', async () => {
    writeFileSync(file, policyText());
    const store = makeStore({ file });
    await store.load();
    rmSync(file);
    const result = await store.reload();
    expect(result.ok).toBe(false);
    expect(store.current()?.roles.owner).toEqual([MEGAN]);
  });

  it('should drop the roles of someone removed from the file on the next reload', async () => {
    writeFileSync(file, policyText());
    const store = makeStore({ file });
    await store.load();
    expect(await store.hasRole(ADELE, 'dataScientist')).toBe(true);
    writeFileSync(file, policyText({ dataScientists: [ALEX] }));
    expect(await store.reload()).toEqual({ ok: true });
    expect(await store.hasRole(ADELE, 'dataScientist')).toBe(false);
    expect(await store.rolesOf(ADELE)).toEqual([]);
  });

  it('should stop watching on stop()', async () => {
    writeFileSync(file, policyText());
    const store = makeStore({ file, pollMs: 20 });
    await store.load();
    store.start();
    store.stop();
    writeFileSync(file, policyText({ approvals: 5 }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(store.current()?.rules[0].approvals).toBe(1);
  });

  it('should apply overlapping reloads in order', async () => {
    writeFileSync(file, policyText({ approvals: 4 }));
    const store = makeStore({ file });
    const results = await Promise.all([store.reload(), store.reload(), store.reload()]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(store.current()?.rules[0].approvals).toBe(4);
  });
});

describe('PolicyStore with the chat overlay', () => {
  async function loaded(text = policyText()) {
    writeFileSync(file, text);
    const store = makeStore({ file });
    await store.load();
    return store;
  }

  it('should add a granted role to the roles the file gives', async () => {
    const store = await loaded();
    await store.grants.grant(ISAIAH, 'viewer', MEGAN, 'Isaiah Langer');
    await store.grants.grant(ALEX, 'owner', MEGAN);
    expect(await store.rolesOf(ISAIAH)).toEqual(['viewer']);
    expect(await store.rolesOf(ALEX)).toEqual(['owner', 'dataScientist']);
    expect(store.nameOf(ISAIAH)).toBe('Isaiah Langer');
    expect(await store.people('owner')).toEqual([{ objectId: ALEX }, { objectId: MEGAN, name: 'Megan Bowen' }]);
  });

  it('should let a revocation remove a role the file gives, and a later grant restore it', async () => {
    const store = await loaded();
    await store.grants.revoke(ALEX, 'dataScientist', MEGAN);
    expect(await store.rolesOf(ALEX)).toEqual([]);
    await store.grants.grant(ALEX, 'dataScientist', MEGAN);
    expect(await store.rolesOf(ALEX)).toEqual(['dataScientist']);
  });

  it('should keep a revocation in force after the file is reloaded', async () => {
    const store = await loaded();
    await store.grants.revoke(ADELE, 'dataScientist', MEGAN);
    writeFileSync(file, policyText({ approvals: 2 }));
    await store.reload();
    expect(await store.hasRole(ADELE, 'dataScientist')).toBe(false);
  });

  it('should keep a chat grant when the person is removed from the file', async () => {
    const store = await loaded();
    await store.grants.grant(ADELE, 'dataScientist', MEGAN);
    writeFileSync(file, policyText({ dataScientists: [ALEX] }));
    await store.reload();
    expect(await store.rolesOf(ADELE)).toEqual(['dataScientist']);
  });

  it('should give defaultRole only to people left with no role', async () => {
    const store = await loaded(policyText({ defaultRole: 'viewer' }));
    await store.grants.revoke(ALEX, 'dataScientist', MEGAN);
    expect(await store.rolesOf(ALEX)).toEqual(['viewer']);
    await store.grants.grant(ISAIAH, 'dataScientist', MEGAN);
    expect(await store.rolesOf(ISAIAH)).toEqual(['dataScientist']);
  });

  it('should list a roster of everyone named, with current roles, sorted by name', async () => {
    const store = await loaded();
    await store.grants.grant(ISAIAH, 'viewer', MEGAN, 'Isaiah Langer');
    await store.grants.revoke(ADELE, 'dataScientist', MEGAN);
    expect(await store.roster()).toEqual([
      { objectId: ALEX, roles: ['dataScientist'] },
      { objectId: ISAIAH, name: 'Isaiah Langer', roles: ['viewer'] },
      { objectId: MEGAN, name: 'Megan Bowen', roles: ['owner'] },
    ]);
    expect(await store.people('dataScientist')).toEqual([{ objectId: ALEX }]);
  });

  it('should ignore the overlay in open mode', async () => {
    const store = makeStore();
    await store.load();
    await store.grants.grant(ALEX, 'owner', MEGAN);
    expect(await store.rolesOf(ALEX)).toEqual([]);
  });
});
