/** Races and retries: however many clicks, deliveries and sweeps, an approved change runs exactly once. */
import { afterEach, describe, expect, it } from 'vitest';
import { Verb } from '../../src/core/actions/verbs';
import type { ApprovalRecord } from '../../src/core/approvals/model';
import { UNCHANGED } from '../../src/storage/collection';
import {
  ADAPTIVE,
  type Anyone,
  type ApprovalStack,
  connectorCards,
  extraPerson,
  MESSAGE,
  policyYaml,
  startApprovalStack,
  validateApprovalCard,
} from '../helpers/approvalStack';

let s: ApprovalStack;

afterEach(async () => {
  const cards = connectorCards(s.stack);
  await s.close();
  // Every card the bot sent or updated must be a valid card, whatever the test looked at.
  for (const card of cards) expect(validateApprovalCard(card)).toEqual([]);
});

const tenOwners = Array.from({ length: 10 }, (_, i) => extraPerson(i + 1));

/** Checks the end of every race: one operation under the request's key, one execute in the audit. */
async function expectOneExecution(id: string): Promise<void> {
  const ops = await s.operations('chat-dev', 'reset');
  expect(ops).toHaveLength(1);
  expect(ops[0].idempotencyKey).toBe(`approval-${id}`);
  expect((await s.audit()).filter((e) => e.action === 'execute')).toHaveLength(1);
  await s.stack.settle();
  await s.stack.bot.approvals.sweep();
  expect(await s.record(id)).toMatchObject({ status: 'succeeded', operationId: ops[0].id });
  expect(await s.operations('chat-dev', 'reset')).toHaveLength(1);
}

/** Rewrites a request as a crashed replica would have left it. */
async function leaveAs(id: string, patch: (r: ApprovalRecord) => ApprovalRecord): Promise<void> {
  await s.stack.bot.approvals.requests.update(id, (r) => (r ? patch(r) : UNCHANGED));
}

describe('concurrent approve clicks', () => {
  it.each<{ name: string; policy?: string; voters: Anyone[]; votes: number }>([
    {
      name: 'two approvers of a 2-approval rule, 5 clicks each',
      policy: policyYaml({ owners: ['megan', 'adele'], dataScientists: ['alex'], approvals: 2 }),
      voters: [...Array(5).fill('megan'), ...Array(5).fill('adele')],
      votes: 2,
    },
    { name: 'one approver clicking 10 times', voters: Array(10).fill('megan'), votes: 1 },
    {
      name: '10 distinct approvers racing for a 1-approval quorum',
      policy: policyYaml({ owners: tenOwners, dataScientists: ['alex'] }),
      voters: tenOwners,
      votes: 1,
    },
  ])('should start exactly one operation for $name', async ({ policy, voters, votes }) => {
    s = await startApprovalStack(policy);
    const { id, messageId } = await s.request('reset chat-dev');
    const answers = await Promise.all(voters.map((v) => s.click(Verb.Approve, { approvalId: id }, v, messageId)));
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      if (answer.type === ADAPTIVE) expect(validateApprovalCard(answer.value)).toEqual([]);
    }
    // Only the vote that met the quorum executed; the others were told, and none failed.
    expect(answers.filter((a) => a.text.includes('Resetting chat-dev (approved)'))).toHaveLength(1);
    expect(answers.map((a) => a.text).join('\n')).not.toMatch(/went wrong|try again/i);
    expect((await s.record(id)).votes).toHaveLength(votes);
    await expectOneExecution(id);
  });

  it.each([
    { name: 'a rejection', verb: Verb.Reject, who: 'adele' as const, lost: 'rejected' },
    { name: 'a cancellation', verb: Verb.CancelApproval, who: 'alex' as const, lost: 'cancelled' },
  ])('should let either the approval or $name win a race, never both', async ({ verb, who, lost }) => {
    s = await startApprovalStack(policyYaml({ owners: ['megan', 'adele'], dataScientists: ['alex'] }));
    const { id, messageId } = await s.request('reset chat-dev');
    await Promise.all([
      s.click(Verb.Approve, { approvalId: id }, 'megan', messageId),
      s.click(verb, { approvalId: id, reason: 'no' }, who, messageId),
    ]);
    const record = await s.record(id);
    const ops = await s.operations('chat-dev', 'reset');
    if (record.status === lost) expect(ops).toEqual([]);
    else {
      expect(record.status).toBe('executing');
      expect(record.rejection ?? record.cancelledBy).toBeUndefined();
      expect(ops).toHaveLength(1);
    }
  });
});

describe('redelivered invokes', () => {
  it.each([
    { name: 'the same activity id, one after the other', same: true, together: false },
    { name: 'a new activity id, one after the other', same: false, together: false },
    { name: 'the same activity id, at the same time', same: true, together: true },
    { name: 'a new activity id, at the same time', same: false, together: true },
  ])('should execute once when the approve invoke comes twice with $name', async ({ same, together }) => {
    s = await startApprovalStack();
    const { id, messageId } = await s.request('reset chat-dev');
    const deliver = (n: number) =>
      s.click(Verb.Approve, { approvalId: id }, 'megan', messageId, { id: same ? 'invoke-1' : `invoke-${n}` });
    const answers = together ? await Promise.all([deliver(1), deliver(2)]) : [await deliver(1), await deliver(2)];
    for (const answer of answers) expect(answer.status).toBe(200);
    const [op] = await s.operations('chat-dev', 'reset');
    // A retry that arrives after the first is answered with the same operation, not an error.
    if (!together) expect(answers[1]).toMatchObject({ type: ADAPTIVE, text: expect.stringContaining(op.id) });
    await expectOneExecution(id);
  });

  it('should refuse a redelivery that comes after the duplicate window, and still execute once', async () => {
    s = await startApprovalStack();
    const { id, messageId } = await s.request('reset chat-dev');
    await s.click(Verb.Approve, { approvalId: id }, 'megan', messageId, { id: 'invoke-1' });
    s.stack.clock.advance(5 * 60_000);
    const late = await s.click(Verb.Approve, { approvalId: id }, 'megan', messageId, { id: 'invoke-1' });
    expect(late.type).toBe(MESSAGE);
    expect(late.text).toMatch(/votes are closed/);
    await expectOneExecution(id);
  });
});

describe('redelivered requests', () => {
  it.each([
    { name: 'message with the same activity id', same: true, click: false },
    { name: 'message with a new activity id', same: false, click: false },
    { name: 'Reset click with the same activity id', same: true, click: true },
    { name: 'Reset click with a new activity id', same: false, click: true },
  ])('should create one request when a $name comes twice', async ({ same, click }) => {
    s = await startApprovalStack();
    // Teams redelivers a slow message or click, sometimes under a new id: a second request (and card)
    // would let the same change be approved, and run, twice.
    const deliver = (n: number) => {
      const id = same ? 'delivery-1' : `delivery-${n}`;
      return click
        ? s.click(Verb.Reset, { name: 'chat-dev' }, 'alex', 'card-detail', { id })
        : s.say('reset chat-dev', 'alex', undefined, { id });
    };
    await deliver(1);
    await deliver(2);
    expect(await s.stack.bot.approvals.requests.ids()).toHaveLength(1);
    expect(
      s.stack.connector.sent().filter((c) => JSON.stringify(c.activity).includes('approval.approve')),
    ).toHaveLength(click ? 0 : 1);
  });
});

describe('sweeps after a crash', () => {
  it('should execute an approved request once when several replicas sweep at the same time', async () => {
    s = await startApprovalStack();
    const { id } = await s.request('reset chat-dev');
    // The approving replica stored the decision and died before it executed.
    await leaveAs(id, (r) => ({ ...r, status: 'approved', decidedOn: r.createdOn }));
    await Promise.all(Array.from({ length: 5 }, () => s.stack.bot.approvals.sweep()));
    await expectOneExecution(id);
  });

  /** Approves, then forgets the operation id, as a replica that died right after the service call would. */
  async function crashAfterServiceCall(): Promise<{ id: string; opId: string }> {
    const { id, messageId } = await s.request('reset chat-dev');
    await s.click(Verb.Approve, { approvalId: id }, 'megan', messageId);
    const [op] = await s.operations('chat-dev', 'reset');
    await leaveAs(id, ({ operationId: _operationId, ...r }) => ({ ...r, status: 'executing' }));
    return { id, opId: op.id };
  }

  it('should resume an execution whose replica died after the service call, under the same key', async () => {
    s = await startApprovalStack();
    const { id, opId } = await crashAfterServiceCall();
    await s.stack.bot.approvals.sweep();
    expect((await s.record(id)).operationId).toBeUndefined(); // too early: the executor may still be alive
    s.stack.clock.advance(31_000);
    await s.stack.bot.approvals.sweep();
    // The Idempotency-Key made the retry a replay of the first call.
    expect((await s.record(id)).operationId).toBe(opId);
    expect(await s.operations('chat-dev', 'reset')).toHaveLength(1);
    await s.stack.settle();
    await s.stack.bot.approvals.sweep();
    expect((await s.record(id)).status).toBe('succeeded');
  });

  it('should let only one of several replicas sweeping at once resume a stuck execution', async () => {
    s = await startApprovalStack();
    const { id, opId } = await crashAfterServiceCall();
    s.stack.clock.advance(31_000);
    await Promise.all(Array.from({ length: 3 }, () => s.stack.bot.approvals.sweep()));
    expect((await s.record(id)).operationId).toBe(opId);
    expect(await s.operations('chat-dev', 'reset')).toHaveLength(1);
    // The resume claim must be exclusive: one more execution in the trail (and one more card update), not three.
    expect((await s.audit()).filter((e) => e.action === 'execute')).toHaveLength(2);
  });

  it('should never execute an expired request, however many sweeps run', async () => {
    s = await startApprovalStack();
    const { id, messageId } = await s.request('reset chat-dev');
    s.stack.clock.advance(2 * 3_600_000);
    await Promise.all([
      ...Array.from({ length: 3 }, () => s.stack.bot.approvals.sweep()),
      s.click(Verb.Approve, { approvalId: id }, 'megan', messageId),
    ]);
    expect((await s.record(id)).status).toBe('expired');
    expect(await s.operations('chat-dev')).toEqual([]);
    expect((await s.audit()).filter((e) => e.action === 'expire')).toHaveLength(1);
  });
});
