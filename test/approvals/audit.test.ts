/** The audit trail: every request, vote, execution, denial and role change, and the `audit` command. */
import { afterEach, describe, expect, it } from 'vitest';
import { Verb } from '../../src/core/actions/verbs';
import type { AuditEntry } from '../../src/core/audit/auditLog';
import {
  type ApprovalStack,
  CHANNEL_ID,
  ISAIAH,
  objectId,
  policyYaml,
  startApprovalStack,
} from '../helpers/approvalStack';

const HOUR = 3_600_000;
let s: ApprovalStack;

afterEach(async () => s.close());

/** A morning of approvals in the channel, touching every kind of audit entry. */
async function morning(): Promise<Record<string, string>> {
  await s.say('reset chat-dev', ISAIAH); // deny: a viewer may not request
  const reset = await s.request('reset chat-dev');
  await s.click(Verb.Approve, { approvalId: reset.id }, ISAIAH, reset.messageId); // deny: not an owner
  await s.click(Verb.Approve, { approvalId: reset.id }, 'megan', reset.messageId); // approve, execute
  await s.stack.settle();
  await s.stack.bot.approvals.sweep(); // result
  const install = await s.request('install prod-chat tiktoken');
  await s.say(`reject ${install.id} not during the freeze`, 'megan');
  const update = await s.request('update prod-chat --idle 600', 'adele');
  await s.say(`cancel ${update.id}`, 'adele');
  await s.say(`roles grant ${ISAIAH.aadObjectId} dataScientist`, 'megan');
  await s.say(`roles revoke ${ISAIAH.aadObjectId} dataScientist`, 'megan');
  const stop = await s.request('stop prod-chat');
  s.stack.clock.advance(5 * HOUR);
  await s.stack.bot.approvals.sweep(); // expire
  return { reset: reset.id, install: install.id, update: update.id, stop: stop.id };
}

describe('the audit trail', () => {
  it('should record every request, vote, execution, result, denial and role change in order', async () => {
    s = await startApprovalStack();
    const ids = await morning();
    const trail = await s.audit();
    expect(trail.map((e) => [e.action, e.approvalId ?? e.details?.objectId])).toEqual([
      ['deny', undefined],
      ['request', ids.reset],
      ['deny', ids.reset],
      ['approve', ids.reset],
      ['execute', ids.reset],
      ['result', ids.reset],
      ['request', ids.install],
      ['reject', ids.install],
      ['request', ids.update],
      ['cancel', ids.update],
      ['grant', ISAIAH.aadObjectId],
      ['revoke', ISAIAH.aadObjectId],
      ['request', ids.stop],
      ['expire', ids.stop],
    ]);
  });

  it('should say who, when, what and in which conversation for every entry', async () => {
    s = await startApprovalStack();
    await morning();
    const trail = await s.audit();
    for (const entry of trail) {
      expect(entry.id).toMatch(/^\d{15}-/);
      expect(new Date(entry.at).toISOString()).toBe(entry.at);
      expect(entry.actor.id).toMatch(/^[0-9a-f-]{36,}$|^system$/);
    }
    const byPeople = trail.filter((e) => e.actor.id !== 'system');
    for (const entry of byPeople) expect(entry.conversation).toEqual({ id: CHANNEL_ID, type: 'channel' });
    // Entries about a request name the runtime and the change.
    for (const entry of trail.filter((e) => e.approvalId)) {
      expect(entry.runtime).toMatch(/^(chat-dev|prod-chat)$/);
      expect(entry.kind).toMatch(/^(reset|install|update|stop)$/);
    }
    const [approve] = trail.filter((e) => e.action === 'approve');
    expect(approve).toMatchObject({
      actor: { id: objectId('megan'), name: 'Megan Bowen' },
      at: '2026-11-23T09:00:00.000Z',
    });
    const [reject] = trail.filter((e) => e.action === 'reject');
    expect(reject.details).toEqual({ reason: 'not during the freeze' });
    const [execute] = trail.filter((e) => e.action === 'execute');
    expect(execute.operationId).toBe((await s.operations('chat-dev', 'reset'))[0].id);
  });

  it('should only ever append: earlier entries stay as they were', async () => {
    s = await startApprovalStack();
    const { id, messageId } = await s.request('reset chat-dev');
    const before = await s.audit();
    await s.click(Verb.Approve, { approvalId: id }, 'megan', messageId);
    await s.say(`approve ${id}`, 'megan'); // refused: votes are closed
    const after = await s.audit();
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.slice(before.length).map((e) => e.action)).toEqual(['approve', 'execute', 'deny']);
  });
});

describe('the audit command', () => {
  it('should show the recent entries of one runtime, newest first', async () => {
    s = await startApprovalStack();
    const ids = await morning();
    const [chat] = (await s.say('audit chat-dev', 'megan')).replies;
    expect(chat).toContain('Audit trail of chat-dev (newest first)');
    expect(chat).not.toContain('prod-chat');
    const lines = chat.split('\n').filter((l) => l.startsWith('- '));
    expect(lines.map((l) => /· (\w+) (reset|install|update|stop)/.exec(l)?.[1])).toEqual([
      'result',
      'execute',
      'approve',
      'deny',
      'request',
      'deny',
    ]);
    expect(lines[2]).toContain(`Megan Bowen · approve reset chat-dev · request \`${ids.reset}\``);
    expect(lines[3]).toContain('Isaiah Langer · deny reset chat-dev');
    expect(lines[3]).toContain('Only people with the owner role');
  });

  it('should show the whole trail newest first, limited', async () => {
    s = await startApprovalStack();
    await morning();
    const [all] = (await s.say('audit --limit 3', 'megan')).replies;
    const lines = all.split('\n').filter((l) => l.startsWith('- '));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('expire stop prod-chat');
  });

  it('should export the trail as JSON lines', async () => {
    s = await startApprovalStack();
    await morning();
    const [text] = (await s.say('audit --export', 'megan')).markdown;
    const block = /```\n([\s\S]*)\n```/.exec(text)?.[1] ?? '';
    const exported = block.split('\n').map((line) => JSON.parse(line) as AuditEntry);
    expect(exported).toEqual(await s.audit());
  });

  it('should export only the runtime asked for', async () => {
    s = await startApprovalStack();
    await morning();
    const [text] = (await s.say('audit prod-chat --export', 'megan')).markdown;
    const block = /```\n([\s\S]*)\n```/.exec(text)?.[1] ?? '';
    const runtimes = new Set(block.split('\n').map((line) => (JSON.parse(line) as AuditEntry).runtime));
    expect([...runtimes]).toEqual(['prod-chat']);
  });

  it('should refuse the trail to someone without a role in the policy', async () => {
    s = await startApprovalStack(policyYaml({ defaultRole: 'none' }));
    await s.request('reset chat-dev');
    for (const text of ['audit', 'audit --export', 'audit chat-dev']) {
      const [answer] = (await s.say(text, ISAIAH)).replies;
      expect(answer).toBe('You need a role in the policy to read the audit trail.');
    }
  });
});
