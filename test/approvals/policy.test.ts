/** The policy behind approvals: broken files, edits while running, people losing the right, and `roles`. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createBotApp } from '../../src/channels/teams/app';
import { Verb } from '../../src/core/actions/verbs';
import { PolicyError } from '../../src/core/policy/policy';
import { createLogger } from '../../src/logger';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import {
  ADAPTIVE,
  type ApprovalStack,
  buttonVerbs,
  demoPolicy,
  extraPerson,
  ISAIAH,
  mentionsOf,
  MESSAGE,
  objectId,
  policyYaml,
  startApprovalStack,
} from '../helpers/approvalStack';
import { botConfig } from '../helpers/stack';

const MEGAN = objectId('megan');
/** The demo policy with Megan, its only owner, taken out. */
function withoutMegan(text: string): string {
  const edited = text.replace(/ {2}owner:\n {4}- id: [0-]+21\n.*\n/, '  owner: []\n');
  expect(edited).not.toContain(MEGAN); // the demo policy changed: update the edit
  return edited;
}

/** Edits of the demo policy that break it, with where the mistake is. */
const BROKEN = [
  {
    name: 'not YAML (a colon in a name)',
    from: 'name: Megan Bowen ',
    to: 'name: Megan: Bowen ',
    line: 9,
    column: 13,
    reason: /not valid YAML/,
  },
  { name: 'not YAML (a tab)', from: '    approvals: 0', to: '\tapprovals: 0', line: 44, column: 1, reason: /Tabs/ },
  {
    name: 'an unknown role',
    from: '  owner:\n',
    to: '  owners:\n',
    line: 7,
    column: 3,
    reason: /unknown role "owners"/,
  },
  {
    name: 'too many approvals',
    from: '    approvals: 1\n    approverRole: owner\n    expiresAfter: 1h',
    to: '    approvals: 11\n    approverRole: owner\n    expiresAfter: 1h',
    line: 25,
    column: 16,
    reason: /from 0 to 10/,
  },
  {
    name: 'a duration that is not one',
    from: 'expiresAfter: 4h',
    to: 'expiresAfter: 1 week',
    line: 34,
    column: 19,
    reason: /duration/,
  },
  {
    name: 'a key given twice',
    from: 'defaultRole: viewer',
    to: 'defaultRole: viewer\ndefaultRole: owner',
    line: 19,
    column: 1,
    reason: /"defaultRole" appears twice/,
  },
  {
    name: 'an unknown rule key',
    from: '    approverRole: owner\n    expiresAfter: 1h',
    to: '    approver: owner\n    expiresAfter: 1h',
    line: 26,
    column: 5,
    reason: /unknown key "approver"/,
  },
  {
    name: 'an unknown operation',
    from: 'operations: [reset]',
    to: 'operations: [restart]',
    line: 23,
    column: 18,
    reason: /unknown operation "restart"/,
  },
  {
    name: 'an id that is not an object id',
    from: 'id: 00000000-0000-0000-0000-0000000000022',
    to: 'id: adele@contoso.com',
    line: 13,
    column: 11,
    reason: /not an Entra object id/,
  },
];

const broken = (row: (typeof BROKEN)[number]): string => {
  const text = demoPolicy();
  expect(text).toContain(row.from); // the demo policy changed: update the edit
  return text.replace(row.from, row.to);
};

let s: ApprovalStack | undefined;
let dir: string | undefined;

afterEach(async () => {
  await s?.close();
  s = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Starts only the bot, with this policy text; resolves to what start() threw. */
async function startBotWith(text: string | undefined): Promise<unknown> {
  dir = mkdtempSync(path.join(os.tmpdir(), 'broken-policy-'));
  const policyFile = path.join(dir, 'policy.yaml');
  if (text !== undefined) writeFileSync(policyFile, text);
  const app = createBotApp({
    config: botConfig({ policyFile }),
    storage: new MemoryStorage(),
    log: createLogger('silent'),
    serviceUrl: 'http://127.0.0.1:9',
    runTracker: false,
  });
  return app.start().then(
    async () => {
      await app.stop();
      return undefined;
    },
    (error: unknown) => error,
  );
}

describe('a policy file that does not parse or is invalid', () => {
  it.each(BROKEN)('should stop start-up with the line and column of $name', async (row) => {
    const error = await startBotWith(broken(row));
    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toMatchObject({ line: row.line, column: row.column });
    expect((error as PolicyError).message).toContain(`policy.yaml line ${row.line}, column ${row.column}: `);
    expect((error as PolicyError).reason).toMatch(row.reason);
  });

  it.each([
    { name: 'an empty file', text: '', reason: /empty/ },
    { name: 'a missing file', text: undefined, reason: /cannot be read \(ENOENT\)/ },
  ])('should stop start-up on $name, saying why', async ({ text, reason }) => {
    const error = await startBotWith(text);
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).reason).toMatch(reason);
  });

  it('should start with the demo policy as it is', async () => {
    expect(await startBotWith(demoPolicy())).toBeUndefined();
  });
});

describe('editing the policy while the bot runs', () => {
  it.each(BROKEN.filter((_, i) => i % 3 === 0))('should keep the previous policy after $name', async (row) => {
    s = await startApprovalStack();
    const { id, messageId } = await s.request('reset chat-dev');
    const before = s.stack.bot.policy.current();
    const result = await s.writePolicy(broken(row));
    expect(result).toMatchObject({ ok: false, error: { line: row.line, column: row.column } });
    expect(s.stack.bot.policy.lastError()).toMatchObject({ line: row.line, column: row.column });
    expect(s.stack.bot.policy.current()).toBe(before);
    // Megan is still the owner she was: her vote counts and the change runs.
    const answer = await s.click(Verb.Approve, { approvalId: id }, 'megan', messageId);
    expect(answer.text).toContain('Resetting chat-dev (approved)');
    expect(await s.operations('chat-dev', 'reset')).toHaveLength(1);
  });

  it('should take the right from an approver removed from the file at once', async () => {
    s = await startApprovalStack();
    const { id, messageId } = await s.request('reset chat-dev');
    expect(await s.writePolicy(withoutMegan(demoPolicy()))).toEqual({ ok: true });
    const calls = s.stack.connector.calls.length;
    const answer = await s.click(Verb.Approve, { approvalId: id }, 'megan', messageId);
    expect(answer.type).toBe(MESSAGE);
    expect(answer.text).toContain('Only people with the owner role can decide this request');
    expect(s.stack.connector.calls.length).toBe(calls); // private: nothing in the channel
    const view = await s.click(Verb.ViewApproval, { approvalId: id }, 'megan', messageId);
    expect(view.type).toBe(ADAPTIVE);
    expect(buttonVerbs(view.value)).toEqual([]);
    expect(mentionsOf(view.value)).toEqual([]);
    expect(await s.operations('chat-dev')).toEqual([]);
  });

  it('should not execute, on approval, the request of a requester removed from the file since', async () => {
    // The change runs as the requester: once they lost the right to ask for it, no vote may run it.
    s = await startApprovalStack();
    const { id, messageId } = await s.request('reset chat-dev');
    const withoutAlex = demoPolicy().replace(/ {4}- id: [0-]+20\n.*\n/, '');
    expect(withoutAlex).not.toContain(objectId('alex'));
    expect(await s.writePolicy(withoutAlex)).toEqual({ ok: true });
    await s.click(Verb.Approve, { approvalId: id }, 'megan', messageId);
    expect(await s.operations('chat-dev')).toEqual([]);
    expect((await s.record(id)).status).not.toMatch(/approved|executing|succeeded/);
  });

  it('should stop counting the earlier vote of an approver removed from the file', async () => {
    const patti = extraPerson(1);
    const policy = (owners: ('megan' | 'adele' | typeof patti)[]) =>
      policyYaml({ owners, dataScientists: ['alex'], approvals: 2 });
    s = await startApprovalStack(policy(['megan', 'adele', patti]));
    const { id, messageId } = await s.request('reset chat-dev');
    await s.click(Verb.Approve, { approvalId: id }, 'megan', messageId);
    expect(await s.writePolicy(policy(['adele', patti]))).toEqual({ ok: true });
    await s.click(Verb.Approve, { approvalId: id }, 'adele', messageId);
    // Two votes, but only Adele's still counts: the request waits.
    expect(await s.record(id)).toMatchObject({ status: 'pending', votes: [{}, {}] });
    expect(await s.operations('chat-dev')).toEqual([]);
    await s.click(Verb.Approve, { approvalId: id }, patti, messageId);
    expect(await s.operations('chat-dev', 'reset')).toHaveLength(1);
  });

  it('should take the right from an approver whose role is revoked in chat at once', async () => {
    s = await startApprovalStack(policyYaml({ owners: ['megan', 'adele'], dataScientists: ['alex'] }));
    const { id, messageId } = await s.request('reset chat-dev');
    await s.say(`roles revoke ${MEGAN} owner`, 'adele');
    const refused = await s.click(Verb.Approve, { approvalId: id }, 'megan', messageId);
    expect(refused.text).toContain('Only people with the owner role');
    await s.say(`roles grant ${MEGAN} owner`, 'adele');
    const approved = await s.click(Verb.Approve, { approvalId: id }, 'megan', messageId);
    expect(approved.text).toContain('Resetting chat-dev (approved)');
  });
});

describe('roles', () => {
  it('should list who holds which role, to anyone', async () => {
    s = await startApprovalStack();
    const [list] = (await s.say('roles', ISAIAH)).replies;
    expect(list).toContain(`Megan Bowen (\`${MEGAN}\`): owner`);
    expect(list).toContain(`Alex Wilber (\`${objectId('alex')}\`): dataScientist`);
    expect(list).toContain(`Adele Vance (\`${objectId('adele')}\`): dataScientist`);
    expect(list).not.toContain('Isaiah');
  });

  it('should name the policy file without the server directory it sits in', async () => {
    // Chat users see the file name (as PolicyError messages give it), never the server's paths.
    s = await startApprovalStack();
    const [list] = (await s.say('roles', ISAIAH)).replies;
    expect(list).toContain('policy.yaml');
    expect(list).not.toContain(path.dirname(s.policyFile));
  });

  it('should let an owner grant and revoke a role, in effect at once and audited', async () => {
    s = await startApprovalStack();
    expect((await s.say('reset chat-dev', ISAIAH)).replies[0]).toMatch(/dataScientist or owner role/);
    const granted = await s.say(`roles grant ${ISAIAH.aadObjectId} dataScientist`, 'megan');
    expect(granted.replies[0]).toContain(`Granted dataScientist to \`${ISAIAH.aadObjectId}\``);
    expect(granted.replies[0]).toContain(`(\`${ISAIAH.aadObjectId}\`): dataScientist`);
    const { id } = await s.request('reset chat-dev', ISAIAH);
    expect((await s.record(id)).requester.objectId).toBe(ISAIAH.aadObjectId);

    await s.say(`roles revoke ${ISAIAH.aadObjectId} dataScientist`, 'megan');
    expect((await s.say('reset rag-eval', ISAIAH)).replies[0]).toMatch(/dataScientist or owner role/);
    const changes = (await s.audit()).filter((e) => e.action === 'grant' || e.action === 'revoke');
    expect(changes).toEqual([
      expect.objectContaining({
        action: 'grant',
        actor: { id: MEGAN, name: 'Megan Bowen' },
        details: { objectId: ISAIAH.aadObjectId, role: 'dataScientist' },
        conversation: { id: '19:general@thread.tacv2', type: 'channel' },
      }),
      expect.objectContaining({ action: 'revoke', details: { objectId: ISAIAH.aadObjectId, role: 'dataScientist' } }),
    ]);
  });

  it.each([
    { name: 'a data scientist', who: 'alex' as const },
    { name: 'a viewer', who: ISAIAH },
  ])('should refuse a role change by $name, and audit the attempt', async ({ who }) => {
    s = await startApprovalStack();
    const roster = await s.stack.bot.policy.roster();
    for (const text of [`roles grant ${objectId(who)} owner`, `roles revoke ${MEGAN} owner`]) {
      const answer = await s.say(text, who);
      expect(answer.replies[0]).toBe('Only owners can grant or revoke roles.');
    }
    expect(await s.stack.bot.policy.roster()).toEqual(roster);
    const denials = (await s.audit()).filter((e) => e.action === 'deny');
    expect(denials).toHaveLength(2);
    expect(denials[0]).toMatchObject({ actor: { id: objectId(who) }, details: { role: 'owner' } });
  });
});
