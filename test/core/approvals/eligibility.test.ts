/** voteDenial: who may vote on a request, with the reason a refused voter reads. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/clock';
import { voteDenial } from '../../../src/core/approvals/eligibility';
import type { ApprovalRecord } from '../../../src/core/approvals/model';
import { PolicyStore } from '../../../src/core/policy/policyStore';
import { createLogger } from '../../../src/logger';
import { MemoryStorage } from '../../../src/storage/memoryStorage';

const MEGAN = '00000000-0000-0000-0000-0000000000021';
const ALEX = '00000000-0000-0000-0000-0000000000020';
const ADELE = '00000000-0000-0000-0000-0000000000022';

let dir: string;
let policy: PolicyStore;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'eligibility-'));
  const file = path.join(dir, 'policy.yaml');
  writeFileSync(
    file,
    ['roles:', `  owner: [${MEGAN}, ${ALEX}]`, `  dataScientist: [${ADELE}]`, 'rules: []', ''].join('\n'),
  );
  policy = new PolicyStore({ file, storage: new MemoryStorage(), clock: new FakeClock(), log: createLogger('silent') });
  await policy.load();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const record = (extra: Partial<ApprovalRecord> = {}) =>
  ({
    status: 'pending',
    requester: { objectId: ALEX },
    approverRole: 'owner',
    votes: [],
    ...extra,
  }) as ApprovalRecord;

describe('voteDenial', () => {
  it('should let an approver who has not voted vote, whatever the case of their object id', async () => {
    expect(await voteDenial(record(), { id: MEGAN }, policy)).toBeUndefined();
    expect(await voteDenial(record(), { id: MEGAN.toUpperCase() }, policy)).toBeUndefined();
  });

  it.each([
    ['a decided request', record({ status: 'approved' }), MEGAN, 'This request is already approved; votes are closed.'],
    [
      'the requester',
      record(),
      ALEX.toUpperCase(),
      'You cannot approve or reject your own request; another approver has to.',
    ],
    ['someone without the role', record(), ADELE, 'Only people with the owner role can decide this request.'],
    [
      'a second vote',
      record({ votes: [{ objectId: MEGAN.toUpperCase(), at: '' }] }),
      MEGAN,
      'You already approved this request; one vote per approver.',
    ],
  ])('should refuse %s with its reason', async (_name, r, user, reason) => {
    expect(await voteDenial(r, { id: user }, policy)).toBe(reason);
  });
});
