/** PeopleDirectory: people keyed by channel and id, and the records written before channels. */
import { describe, expect, it } from 'vitest';
import { PeopleDirectory } from '../../src/core/people';
import { MemoryStorage } from '../../src/storage/memoryStorage';

const ALEX = 'AAAA1111-0000-4000-8000-00000000000A';
const MEGAN = 'bbbb2222-0000-4000-8000-00000000000b';

describe('PeopleDirectory', () => {
  it('should key a person by channel and normalised id, and find them in any spelling of the id', async () => {
    const storage = new MemoryStorage();
    const teams = new PeopleDirectory(storage, 'teams');
    await teams.remember({ id: ALEX, name: 'Alex', channelUserId: '29:alex' });
    expect(Object.keys(await storage.read([`people/teams~${ALEX.toLowerCase()}`]))).toHaveLength(1);
    expect(await teams.channelIds([ALEX.toLowerCase(), ALEX, MEGAN])).toEqual(['29:alex']);
  });

  it('should keep channels apart', async () => {
    const storage = new MemoryStorage();
    await new PeopleDirectory(storage, 'teams').remember({ id: ALEX, channelUserId: '29:alex' });
    const slack = new PeopleDirectory(storage, 'slack');
    expect(await slack.channelIds([ALEX])).toEqual([]);
    await slack.remember({ id: ALEX, channelUserId: 'U024BE7LH' });
    expect(await slack.channelIds([ALEX])).toEqual(['U024BE7LH']);
    expect(await new PeopleDirectory(storage, 'teams').channelIds([ALEX])).toEqual(['29:alex']);
  });

  it('should read a Teams record stored before channels, until the person writes a keyed one', async () => {
    const storage = new MemoryStorage();
    // Stored under the id as Teams sends it (lower case); a policy may spell it in upper case.
    await storage.write({ [`people/${ALEX.toLowerCase()}`]: { channelUserId: '29:alex-old', eTag: '*' } });
    const teams = new PeopleDirectory(storage, 'teams');
    expect(await teams.channelIds([ALEX])).toEqual(['29:alex-old']);
    expect(await new PeopleDirectory(storage, 'slack').channelIds([ALEX])).toEqual([]);
    await teams.remember({ id: ALEX, channelUserId: '29:alex-new' });
    expect(await teams.channelIds([ALEX])).toEqual(['29:alex-new']);
  });

  it('should ignore ids that cannot be keys and refuse a channel name that could reach into another key', async () => {
    const storage = new MemoryStorage();
    const teams = new PeopleDirectory(storage, 'teams');
    await teams.remember({ id: '../x', channelUserId: '29:x' });
    await teams.remember({ id: ALEX }); // no channel account: nothing to remember
    expect(await storage.read(['people/teams~../x', `people/teams~${ALEX.toLowerCase()}`])).toEqual({});
    expect(await teams.channelIds(['../x', ''])).toEqual([]);
    expect(() => new PeopleDirectory(storage, 'te/ams')).toThrow(/channel name/);
  });
});
