/** RoleGrants: the chat overlay of role changes, its order, audit fields and concurrency. */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/clock';
import { MAX_ROLE_CHANGES, RoleGrants } from '../../../src/core/policy/roleGrants';
import { AppError } from '../../../src/errors';
import { MemoryStorage } from '../../../src/storage/memoryStorage';

const MEGAN = '00000000-0000-0000-0000-0000000000021';
const ISAIAH = '00000000-0000-0000-0000-0000000000023';

function setup() {
  const clock = new FakeClock(Date.parse('2026-03-02T09:00:00Z'));
  const storage = new MemoryStorage();
  return { clock, storage, grants: new RoleGrants(storage, clock) };
}

describe('RoleGrants', () => {
  it('should record grants and revocations in order, with who and when', async () => {
    const { clock, grants } = setup();
    const granted = await grants.grant(ISAIAH, 'dataScientist', MEGAN, ' Isaiah Langer ');
    clock.advance(60_000);
    await grants.revoke(ISAIAH, 'dataScientist', MEGAN);
    expect(granted).toEqual({
      objectId: ISAIAH,
      role: 'dataScientist',
      change: 'grant',
      by: MEGAN,
      at: '2026-03-02T09:00:00.000Z',
      name: 'Isaiah Langer',
    });
    expect(await grants.changes()).toEqual([
      granted,
      { objectId: ISAIAH, role: 'dataScientist', change: 'revoke', by: MEGAN, at: '2026-03-02T09:01:00.000Z' },
    ]);
  });

  it('should keep the overlay in storage, so another instance sees it', async () => {
    const { clock, storage, grants } = setup();
    await grants.grant(ISAIAH, 'viewer', MEGAN, 'Isaiah Langer');
    const other = new RoleGrants(storage, clock);
    expect(await other.changes()).toHaveLength(1);
    expect(other.nameOf(ISAIAH)).toBe('Isaiah Langer');
  });

  it('should lower-case object ids', async () => {
    const { grants } = setup();
    const change = await grants.grant('ABCDEF-01', 'owner', 'MEGAN-1');
    expect([change.objectId, change.by]).toEqual(['abcdef-01', 'megan-1']);
  });

  it('should give the latest change per person and role as the one in force', async () => {
    const { grants } = setup();
    await grants.grant('a', 'owner', MEGAN);
    await grants.grant('a', 'viewer', MEGAN);
    await grants.revoke('a', 'owner', MEGAN);
    const effective = await grants.effective();
    expect(effective.get('a owner')?.change).toBe('revoke');
    expect(effective.get('a viewer')?.change).toBe('grant');
    expect(effective.size).toBe(2);
  });

  it('should record every one of 10 parallel grants', async () => {
    const { grants } = setup();
    const ids = Array.from({ length: 10 }, (_, i) => `person-${i}`);
    await Promise.all(ids.map((id) => grants.grant(id, 'dataScientist', MEGAN)));
    const changes = await grants.changes();
    expect(changes).toHaveLength(10);
    expect(changes.map((c) => c.objectId).sort()).toEqual(ids.sort());
  });

  it('should record parallel grants and revocations of the same person', async () => {
    const { grants } = setup();
    await Promise.all([
      grants.grant('p', 'owner', MEGAN),
      grants.grant('p', 'viewer', MEGAN),
      grants.revoke('p', 'dataScientist', MEGAN),
      grants.grant('q', 'owner', MEGAN),
    ]);
    expect(await grants.changes()).toHaveLength(4);
  });

  it.each([
    ['a bad object id', () => setup().grants.grant('not an id', 'owner', MEGAN)],
    ['an id over 64 characters', () => setup().grants.grant('a'.repeat(65), 'owner', MEGAN)],
    ['an unknown role', () => setup().grants.grant('abc', 'admin' as 'owner', MEGAN)],
    ['no author', () => setup().grants.revoke('abc', 'owner', ' ')],
  ])('should refuse %s with a bad_request AppError', async (_what, act) => {
    await expect(act()).rejects.toBeInstanceOf(AppError);
    await expect(act()).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('should drop only superseded changes once the log is full', async () => {
    const { grants } = setup();
    for (let i = 0; i < MAX_ROLE_CHANGES - 2; i++) await grants.grant(`p-${i}`, 'viewer', MEGAN);
    await grants.grant('flip', 'owner', MEGAN);
    await grants.revoke('flip', 'owner', MEGAN);
    await grants.grant('flip', 'owner', MEGAN);
    const changes = await grants.changes();
    expect(changes).toHaveLength(MAX_ROLE_CHANGES);
    expect(changes.filter((c) => c.objectId === 'flip').map((c) => c.change)).toEqual(['revoke', 'grant']);
    expect((await grants.effective()).get('flip owner')?.change).toBe('grant');
    expect(changes[0].objectId).toBe('p-0');
  });
});
