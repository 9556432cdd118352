/** Deciding a request on its card: approve and execute, reject, cancel, expire, and every refusal. */
import { afterEach, describe, expect, it } from 'vitest';
import { Verb } from '../../src/core/actions/verbs';
import {
  ADAPTIVE,
  type Anyone,
  type ApprovalStack,
  buttonVerbs,
  cardsOf,
  connectorCards,
  ISAIAH,
  MESSAGE,
  objectId,
  policyYaml,
  startApprovalStack,
  validateApprovalCard,
} from '../helpers/approvalStack';

const HOUR = 3_600_000;
let s: ApprovalStack;

afterEach(async () => {
  const cards = connectorCards(s.stack);
  await s.close();
  // Every card the bot sent or updated must be a valid card, whatever the test looked at.
  for (const card of cards) expect(validateApprovalCard(card)).toEqual([]);
});

/** The card as the channel shows it now: its last update, or what was posted. */
function shown(messageId: string): string {
  const call = s.stack.connector.updates(messageId).at(-1) ?? s.stack.connector.calls.find((c) => c.id === messageId);
  return JSON.stringify(call ? cardsOf(call) : []);
}

describe('approving', () => {
  it('should execute once the quorum is met, then show progress and result on the card for everyone', async () => {
    s = await startApprovalStack();
    const { id, messageId } = await s.request('reset chat-dev');
    const answer = await s.click(Verb.Approve, { approvalId: id }, 'megan', messageId);
    expect(answer.type).toBe(ADAPTIVE);
    expect(validateApprovalCard(answer.value)).toEqual([]);
    expect(answer.text).toContain('Resetting chat-dev (approved)');

    const [op] = await s.operations('chat-dev', 'reset');
    // The requester's change, executed once under the request's own key.
    expect(op).toMatchObject({ idempotencyKey: `approval-${id}`, requestedBy: { objectId: objectId('alex') } });
    expect((await s.record(id)).status).toBe('executing');

    await s.stack.settle();
    const updates = s.stack.connector.updates(messageId);
    expect(updates.length).toBeGreaterThanOrEqual(2);
    // Updated in place: no new message for the progress, and the last update says it is done.
    expect(s.stack.connector.sent()).toHaveLength(1);
    expect(JSON.stringify(cardsOf(updates[0]))).toContain('Resetting chat-dev (approved)');
    expect(JSON.stringify(cardsOf(updates.at(-1)!))).toMatch(/"text":"Done"/);

    await s.stack.bot.approvals.sweep();
    expect(await s.record(id)).toMatchObject({
      status: 'succeeded',
      operationId: op.id,
      result: { status: 'Succeeded' },
    });
    expect(await s.operations('chat-dev', 'reset')).toHaveLength(1);
    expect((await s.audit()).map((e) => e.action)).toEqual(['request', 'approve', 'execute', 'result']);
  });

  it('should wait for every approval a rule needs, showing the votes so far to everyone', async () => {
    s = await startApprovalStack(policyYaml({ owners: ['megan', 'adele'], dataScientists: ['alex'], approvals: 2 }));
    const { id, messageId } = await s.request('reset chat-dev');
    const first = await s.click(Verb.Approve, { approvalId: id }, 'megan', messageId);
    expect(first.text).toContain('Approved by Megan Bowen');
    expect(first.text).toContain('Waiting for approval');
    expect(shown(messageId)).toContain('Approved by Megan Bowen');
    expect(await s.operations('chat-dev')).toEqual([]);
    await s.click(Verb.Approve, { approvalId: id }, 'adele', messageId);
    expect(await s.operations('chat-dev', 'reset')).toHaveLength(1);
    expect((await s.record(id)).votes.map((v) => v.objectId)).toEqual([objectId('megan'), objectId('adele')]);
  });

  it('should record a failed execution when the runtime changed while the request waited', async () => {
    s = await startApprovalStack();
    const { id, messageId } = await s.request('reset chat-dev');
    // Stopping runs at once and deletes the runtime, so the approved reset has nothing to reset.
    await s.say('stop chat-dev');
    await s.stack.settle();
    const answer = await s.click(Verb.Approve, { approvalId: id }, 'megan', messageId);
    expect(answer.text).toContain('Approved · failed');
    expect(await s.record(id)).toMatchObject({ status: 'failed', result: { status: 'Failed' } });
    expect(shown(messageId)).toContain('Approved · failed');
    expect(await s.operations('chat-dev', 'reset')).toEqual([]);
  });
});

describe('rejecting and cancelling', () => {
  it('should reject with the reason typed on the card, update it for everyone and execute nothing', async () => {
    s = await startApprovalStack();
    const { id, messageId } = await s.request('reset chat-dev');
    const answer = await s.click(Verb.Reject, { approvalId: id, reason: 'not during the freeze' }, 'megan', messageId);
    expect(answer.type).toBe(ADAPTIVE);
    expect(answer.text).toContain('Rejected by Megan Bowen: not during the freeze');
    expect(shown(messageId)).toContain('Rejected by Megan Bowen: not during the freeze');
    const last = s.stack.connector.updates(messageId).at(-1)!;
    expect(buttonVerbs(cardsOf(last)[0])).toEqual([]); // decided: no buttons left for anyone
    expect(await s.record(id)).toMatchObject({ status: 'rejected', rejection: { reason: 'not during the freeze' } });
    expect(await s.operations('chat-dev')).toEqual([]);
  });

  it.each([
    { name: 'no reason', reason: undefined },
    { name: 'a blank reason', reason: '   ' },
  ])('should keep the request pending when Reject comes with $name', async ({ reason }) => {
    s = await startApprovalStack();
    const { id, messageId } = await s.request('reset chat-dev');
    const answer = await s.click(Verb.Reject, { approvalId: id, ...(reason ? { reason } : {}) }, 'megan', messageId);
    expect(answer.type).toBe(MESSAGE);
    expect(answer.text).toMatch(/Say why you reject it/);
    expect((await s.record(id)).status).toBe('pending');
  });

  it('should let the requester cancel, after which approving is refused and nothing executes', async () => {
    s = await startApprovalStack();
    const { id, messageId } = await s.request('reset chat-dev');
    const cancelled = await s.click(Verb.CancelApproval, { approvalId: id }, 'alex', messageId);
    expect(cancelled.text).toContain('Cancelled');
    expect(shown(messageId)).toContain('Cancelled');
    const late = await s.click(Verb.Approve, { approvalId: id }, 'megan', messageId);
    expect(late.type).toBe(MESSAGE);
    expect(late.text).toContain('already cancelled');
    expect(await s.operations('chat-dev')).toEqual([]);
  });
});

describe('expiry', () => {
  it.each([
    { name: 'after a sweep', sweep: true },
    { name: 'without a sweep', sweep: false },
  ])('should expire an overdue request, update its card and refuse approving it ($name)', async ({ sweep }) => {
    s = await startApprovalStack();
    const { id, messageId } = await s.request('reset chat-dev'); // chat-* resets expire after 1h
    s.stack.clock.advance(HOUR - 1000);
    await s.stack.bot.approvals.sweep();
    expect((await s.record(id)).status).toBe('pending');
    s.stack.clock.advance(2000);
    if (sweep) {
      await s.stack.bot.approvals.sweep();
      expect((await s.record(id)).status).toBe('expired');
      expect(shown(messageId)).toContain('"text":"Expired"');
    }
    const late = await s.click(Verb.Approve, { approvalId: id }, 'megan', messageId);
    expect(late.type).toBe(MESSAGE);
    expect(late.text).toContain('already expired');
    expect(shown(messageId)).toContain('"text":"Expired"');
    expect(await s.operations('chat-dev')).toEqual([]);
    const expire = (await s.audit()).filter((e) => e.action === 'expire');
    expect(expire).toEqual([expect.objectContaining({ approvalId: id, actor: { id: 'system', name: 'system' } })]);
    expect(await s.stack.bot.approvals.pending()).toEqual([]);
  });
});

describe('refusals', () => {
  interface Refusal {
    name: string;
    policy?: string;
    requester?: Anyone;
    voter: Anyone;
    verb?: string;
    /** What happened before the refused click. */
    before?: (id: string, messageId: string) => Promise<unknown>;
    refusal: RegExp;
    executed: number;
  }
  const twoOwners = policyYaml({ owners: ['megan', 'adele'], dataScientists: ['alex'], approvals: 2 });
  // Entra object ids are GUIDs, which compare case-insensitively; Teams may send either case.
  const nestor = { id: 'user-id-7', name: 'Nestor Wilke', aadObjectId: 'a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d' };
  const NESTOR = { ...nestor, aadObjectId: nestor.aadObjectId.toUpperCase() };
  it.each<Refusal>([
    {
      name: 'approving your own request',
      requester: 'megan',
      voter: 'megan',
      refusal: /cannot approve or reject your own request/,
      executed: 0,
    },
    {
      name: 'rejecting your own request',
      requester: 'megan',
      voter: 'megan',
      verb: Verb.Reject,
      refusal: /cannot approve or reject your own request/,
      executed: 0,
    },
    {
      name: 'approving your own request with your object id in upper case',
      policy: policyYaml({ owners: ['megan', nestor] }),
      requester: nestor,
      voter: NESTOR,
      refusal: /cannot approve or reject your own request/,
      executed: 0,
    },
    {
      name: 'a second vote by the same approver in the other case',
      policy: policyYaml({ owners: ['megan', nestor], dataScientists: ['alex'], approvals: 2 }),
      voter: NESTOR,
      before: (id) => s.say(`approve ${id}`, nestor),
      refusal: /already approved this request; one vote per approver/,
      executed: 0,
    },
    { name: 'a viewer approving', voter: ISAIAH, refusal: /Only people with the owner role/, executed: 0 },
    { name: 'a data scientist approving', voter: 'adele', refusal: /Only people with the owner role/, executed: 0 },
    {
      name: 'a viewer cancelling',
      voter: ISAIAH,
      verb: Verb.CancelApproval,
      refusal: /Only the requester can cancel/,
      executed: 0,
    },
    {
      name: 'a second vote by the same approver',
      policy: twoOwners,
      voter: 'megan',
      before: (id, messageId) => s.say(`approve ${id}`, 'megan').then(() => messageId),
      refusal: /already approved this request; one vote per approver/,
      executed: 0,
    },
    {
      name: 'a vote after the request was approved',
      voter: 'megan',
      before: (id) => s.say(`approve ${id}`, 'megan'),
      refusal: /already executing; votes are closed/,
      executed: 1,
    },
    {
      name: 'a rejection after the request was approved',
      voter: 'megan',
      verb: Verb.Reject,
      before: (id) => s.say(`approve ${id}`, 'megan'),
      refusal: /already executing; votes are closed/,
      executed: 1,
    },
    {
      name: 'a vote after the request was rejected',
      policy: twoOwners,
      voter: 'adele',
      before: (id) => s.say(`reject ${id} no`, 'megan'),
      refusal: /already rejected; votes are closed/,
      executed: 0,
    },
  ])('should refuse $name with a private answer and an audit entry', async (row) => {
    s = await startApprovalStack(row.policy);
    const { id, messageId } = await s.request('reset chat-dev', row.requester ?? 'alex');
    await row.before?.(id, messageId);
    const calls = s.stack.connector.calls.length;
    const answer = await s.click(row.verb ?? Verb.Approve, { approvalId: id, reason: 'because' }, row.voter, messageId);
    // A message for the clicker only: no card replaced, nothing posted or updated in the channel.
    expect(answer.status).toBe(200);
    expect(answer.type).toBe(MESSAGE);
    expect(answer.text).toMatch(row.refusal);
    expect(s.stack.connector.calls.length).toBe(calls);
    expect(await s.operations('chat-dev', 'reset')).toHaveLength(row.executed);
    const denial = (await s.audit()).at(-1)!;
    expect(denial).toMatchObject({ action: 'deny', approvalId: id, actor: { id: objectId(row.voter) } });
    expect(String(denial.details?.reason)).toMatch(row.refusal);
  });

  it('should never offer the vote buttons to the requester, even an owner', async () => {
    s = await startApprovalStack(policyYaml({ owners: ['megan', 'adele'], dataScientists: ['alex'] }));
    const { card, id, messageId } = await s.request('reset chat-dev', 'megan');
    // The posted card is everyone's; Megan's own view (refresh, or Show my options) only lets her cancel.
    const own = await s.click(Verb.ViewApproval, { approvalId: id }, 'megan', messageId);
    expect(buttonVerbs(own.value)).toEqual([Verb.CancelApproval]);
    // Adele is the only one asked: Megan is not mentioned on her own request.
    expect(JSON.stringify(card)).toContain('<at>Adele Vance</at>');
    expect(JSON.stringify(card)).not.toContain('<at>Megan Bowen</at>');
  });
});
