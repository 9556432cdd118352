/** The change gate and the approval card: what is checked first, what the card shows and to whom. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Verb } from '../../src/core/actions/verbs';
import { approvalCard } from '../../src/channels/teams/cards/views/approval';
import { PEOPLE } from '../helpers/activities';
import {
  ADAPTIVE,
  type Anyone,
  type ApprovalStack,
  buttonVerbs,
  CHANNEL_ID,
  connectorCards,
  ISAIAH,
  mentionsOf,
  MESSAGE,
  objectId,
  startApprovalStack,
  validateApprovalCard,
} from '../helpers/approvalStack';

let s: ApprovalStack;

beforeEach(async () => {
  s = await startApprovalStack();
});
afterEach(async () => {
  const cards = connectorCards(s.stack);
  await s.close();
  // Every card the bot sent or updated must be a valid card, whatever the test looked at.
  for (const card of cards) expect(validateApprovalCard(card)).toEqual([]);
});

describe('the change gate', () => {
  it.each([
    { name: 'a reset of an unknown runtime', text: 'reset chat-nope', error: /no runtime|not found|no such/i },
    {
      name: 'a create of an existing name',
      text: 'create prod-chat --vm-size Standard_E4ds_v4',
      error: /already exists/,
    },
    { name: 'an install of lines pip cannot read', text: 'install prod-chat numpy==x==', error: /numpy==x==/ },
  ])('should answer $name with the service error at once and create no request', async ({ text, error }) => {
    const answer = await s.say(text);
    expect(answer.replies).toHaveLength(1);
    expect(answer.replies[0]).toMatch(error);
    expect(answer.cards).toEqual([]);
    expect(await s.stack.bot.approvals.requests.ids()).toEqual([]);
    expect((await s.audit()).map((e) => e.action)).not.toContain('request');
    expect(await s.stack.service.engine.operations.all()).toEqual([]);
  });

  it('should return the create form with the error when its name is taken, and create no request', async () => {
    const answer = await s.click(
      Verb.SubmitCreate,
      { type: 'automatic', name: 'prod-chat', vmSize: 'Standard_E4ds_v4', idleTimeMinutes: '60' },
      'alex',
      'card-create',
    );
    expect(answer.type).toBe(ADAPTIVE);
    expect(validateApprovalCard(answer.value)).toEqual([]);
    expect(answer.text).toContain('already exists');
    expect(await s.stack.bot.approvals.requests.ids()).toEqual([]);
  });

  it('should turn an edit form that needs approval into an approval card showing before → after', async () => {
    const answer = await s.click(
      Verb.SubmitEdit,
      { name: 'prod-chat', vmSize: 'Standard_E4ds_v4', idleTimeMinutes: '4320' },
      'alex',
      'card-edit',
    );
    expect(answer.type).toBe(ADAPTIVE);
    expect(validateApprovalCard(answer.value)).toEqual([]);
    expect(answer.text).toMatch(/VM size\s*Standard_E8ds_v4 → Standard_E4ds_v4/);
    expect(answer.text).not.toMatch(/Idle time/); // unchanged fields are not part of the change
    const [pending] = await s.stack.bot.approvals.pending();
    // The clicked card became the request's card: later votes update it.
    expect(pending).toMatchObject({ kind: 'update', runtimeName: 'prod-chat', messageId: 'card-edit' });
    expect(await s.stack.service.engine.operations.all()).toEqual([]);
  });

  it('should refuse a request from a viewer, privately on a card and with an audit entry', async () => {
    const answer = await s.click(Verb.Reset, { name: 'chat-dev' }, ISAIAH, 'card-detail');
    expect(answer.type).toBe(MESSAGE);
    expect(answer.text).toMatch(/dataScientist or owner role/);
    expect(s.stack.connector.calls).toEqual([]);
    expect(await s.stack.bot.approvals.requests.ids()).toEqual([]);
    const [deny] = await s.audit();
    expect(deny).toMatchObject({ action: 'deny', actor: { id: ISAIAH.aadObjectId }, runtime: 'chat-dev' });
  });

  it('should run a change that the policy does not guard at once, and audit it as direct', async () => {
    const answer = await s.say('stop rag-eval');
    expect(answer.replies[0]).toMatch(/Stopping rag-eval/);
    expect(await s.stack.bot.approvals.requests.ids()).toEqual([]);
    expect(await s.operations('rag-eval', 'stop')).toHaveLength(1);
    expect((await s.audit()).map((e) => e.action)).toEqual(['direct']);
  });
});

describe('the approval card', () => {
  it('should be posted in the conversation, mentioning the approvers and showing before → after', async () => {
    const { card, messageId } = await s.request('reset chat-dev');
    expect(s.stack.connector.calls.find((c) => c.id === messageId)?.conversationId).toBe(CHANNEL_ID);
    expect(validateApprovalCard(card)).toEqual([]);
    // Megan is the only owner; the requester is never asked to approve.
    expect(mentionsOf(card)).toEqual([
      { type: 'mention', text: '<at>Megan Bowen</at>', mentioned: { id: objectId('megan'), name: 'Megan Bowen' } },
    ]);
    const text = JSON.stringify(card);
    expect(text).toContain('Approvers: <at>Megan Bowen</at>');
    expect(text).toContain('"text":"Running"');
    expect(text).toContain('"text":" → "');
    expect(text).toContain('deleted and recreated with the same environment');
    expect(text).toContain('Needs 1 approval from the owner role');
  });

  it('should offer Approve and Reject on the posted card to approvers who have not talked to the bot', async () => {
    // Megan never wrote to the bot, so refresh.userIds cannot give her a view of her own: the
    // card everyone sees must carry the vote buttons (the server checks who clicks).
    const { card } = await s.request('reset chat-dev');
    expect((card as any).refresh.userIds).not.toContain(PEOPLE.megan.id);
    expect(buttonVerbs(card)).toEqual(expect.arrayContaining([Verb.Approve, Verb.Reject]));
  });

  it.each<{ who: Anyone; role: string; buttons: string[] }>([
    { who: 'megan', role: 'the approver', buttons: [Verb.Approve, Verb.Reject] },
    { who: 'alex', role: 'the requester', buttons: [Verb.CancelApproval] },
    { who: 'adele', role: 'a data scientist', buttons: [] },
    { who: ISAIAH, role: 'a viewer', buttons: [] },
  ])('should show $role only the buttons they may use', async ({ who, buttons }) => {
    const { id, messageId } = await s.request('reset chat-dev');
    const view = await s.click(Verb.ViewApproval, { approvalId: id }, who, messageId);
    expect(view.type).toBe(ADAPTIVE);
    expect(validateApprovalCard(view.value)).toEqual([]);
    expect(buttonVerbs(view.value)).toEqual(buttons);
    // Only approvers get the reason box that Reject needs.
    expect(JSON.stringify(view.value).includes('"id":"reason"')).toBe(buttons.includes(Verb.Reject));
  });

  it('should address refresh.userIds to the requester and to the approvers who have talked to the bot', async () => {
    const { id, messageId, card } = await s.request('reset chat-dev');
    expect((card as any).refresh.userIds).toEqual([PEOPLE.alex.id]);
    for (const who of ['megan', 'adele'] as const) await s.say('approvals', who);
    await s.say('approvals', ISAIAH);
    const view = await s.click(Verb.ViewApproval, { approvalId: id }, 'alex', messageId);
    const userIds = (view.value as any).refresh.userIds as string[];
    // Adele and Isaiah talked too, but they may not decide: they see the shared card.
    expect([...userIds].sort()).toEqual([PEOPLE.alex.id, PEOPLE.megan.id].sort());
    expect((view.value as any).refresh.action).toMatchObject({ verb: Verb.ViewApproval, data: { approvalId: id } });
  });

  it('should write the expiry in the strict form the client formats ({{DATE}} takes no fractions)', async () => {
    // The Adaptive Cards renderer only replaces {{DATE(yyyy-mm-ddThh:mm:ssZ…)}}; anything else shows raw.
    const { card } = await s.request('reset chat-dev');
    const functions = JSON.stringify(card).match(/\{\{(DATE|TIME)\([^)]*\)\}\}/g) ?? [];
    expect(functions.length).toBeGreaterThan(0);
    for (const f of functions)
      expect(f).toMatch(/^\{\{(DATE|TIME)\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z(, ?(COMPACT|LONG|SHORT))?\)\}\}$/);
  });

  it.each([
    { kind: 'reset', text: 'reset chat-dev' },
    { kind: 'stop', text: 'stop prod-chat' },
    { kind: 'upgrade', text: 'upgrade prod-chat' },
    { kind: 'update', text: 'update prod-chat --idle 600' },
    { kind: 'install', text: 'install prod-chat tiktoken' },
    { kind: 'create', text: 'create prod-new --vm-size Standard_E4ds_v4' },
  ])('should render a valid card for a request to $kind', async ({ text }) => {
    // Changes without a "before" (a new runtime, the install-now flag) must not leave empty text runs.
    const { card } = await s.request(text);
    expect(validateApprovalCard(card)).toEqual([]);
  });

  it('should use Action.Execute with the request id for every button', async () => {
    const { id, card } = await s.request('reset chat-dev');
    // The card as posted, and as every vote re-renders it for everyone (an empty viewer id).
    const broadcast = await s.stack.bot.approvals.view(await s.record(id), { id: '' });
    if (broadcast.kind !== 'approval') throw new Error(`a ${broadcast.kind} reply, not an approval`);
    for (const c of [card, approvalCard(broadcast)]) {
      expect(validateApprovalCard(c)).toEqual([]);
      const json = c as any;
      for (const action of [json.refresh.action, ...json.actions, ...json.body.flatMap((b: any) => b.actions ?? [])]) {
        expect(action.type).toBe('Action.Execute');
        expect(action.data).toEqual({ approvalId: id });
      }
    }
  });
});

describe('text alternatives', () => {
  it('should list pending requests with their ids, votes and expiry', async () => {
    expect((await s.say('approvals', 'megan')).replies[0]).toContain('No approval requests are pending');
    const { id } = await s.request('reset chat-dev');
    const list = (await s.say('approvals', 'megan')).replies[0];
    expect(list).toContain(id);
    expect(list).toMatch(/reset chat-dev by Alex Wilber · 0\/1 approvals · expires 2026-11-23T10:00/);
  });

  it('should approve by id in text, execute, and update the card for everyone', async () => {
    const { id, messageId } = await s.request('reset chat-dev');
    const answer = await s.say(`approve ${id}`, 'megan');
    expect(answer.replies[0]).toMatch(/Resetting chat-dev \(approved\)/);
    expect(await s.operations('chat-dev', 'reset')).toHaveLength(1);
    expect(s.stack.connector.updates(messageId)).not.toHaveLength(0);
    expect((await s.say('approvals', 'megan')).replies[0]).toContain('No approval requests are pending');
  });

  it('should reject by id in text with the reason, and execute nothing', async () => {
    const { id, messageId } = await s.request('reset chat-dev');
    const answer = await s.say(`reject ${id} not during the release freeze`, 'megan');
    expect(answer.replies[0]).toContain('Rejected by Megan Bowen: not during the release freeze');
    expect(JSON.stringify(s.stack.connector.updates(messageId).at(-1)?.activity)).toContain('Rejected');
    expect((await s.record(id)).status).toBe('rejected');
    expect(await s.operations('chat-dev')).toEqual([]);
  });

  it('should ask for the reason of a rejection typed without one', async () => {
    const { id } = await s.request('reset chat-dev');
    const answer = await s.say(`reject ${id}`, 'megan');
    expect(answer.replies[0]).toMatch(/Say why/);
    expect((await s.record(id)).status).toBe('pending');
  });

  it('should cancel by id in text for the requester only', async () => {
    const { id } = await s.request('reset chat-dev');
    expect((await s.say(`cancel ${id}`, 'megan')).replies[0]).toContain('Only the requester can cancel');
    expect((await s.record(id)).status).toBe('pending');
    const answer = await s.say(`cancel ${id}`, 'alex');
    expect(answer.replies[0]).toMatch(/Cancelled/);
    expect((await s.record(id)).status).toBe('cancelled');
  });

  it.each([
    { verb: 'approve', who: 'megan' as const, status: 'approved' },
    { verb: 'reject', who: 'megan' as const, status: 'rejected' },
    { verb: 'cancel', who: 'alex' as const, status: 'cancelled' },
  ])('should take the id of $verb in lower case, as people type it', async ({ verb, who, status }) => {
    // The id is looked up case-insensitively, so the vote must land on that request too.
    const { id } = await s.request('reset chat-dev');
    const answer = await s.say(`${verb} ${id.toLowerCase()} not now`, who);
    expect(answer.replies[0]).not.toContain('Someone decided this request a moment ago');
    expect((await s.record(id)).status).toMatch(status === 'approved' ? /approved|executing/ : status);
  });

  it.each(['approve', 'reject', 'cancel'])('should answer %s of an unknown request id', async (verb) => {
    const answer = await s.say(`${verb} NOPE42 because`, 'megan');
    expect(answer.replies[0]).toContain('There is no approval request NOPE42');
  });
});
