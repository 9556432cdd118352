/** A feed token in a request that waits for approval: never shown or stored in clear, yet installed with. */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Verb } from '../../src/core/actions/verbs';
import type { Storage } from '../../src/storage/storage';
import { ADAPTIVE, type ApprovalStack, type InvokeAnswer, startApprovalStack } from '../helpers/approvalStack';

const TOKEN = 'SECRET_TOKEN_9';
const LINES = `tiktoken\n-i https://${TOKEN}@pkgs.example/simple\nprivpkg`;
let s: ApprovalStack;

/** A request made, and the invoke answers seen on the way (all checked for the token at the end). */
interface Submitted {
  id: string;
  answers: InvokeAnswer[];
}

afterEach(async () => s.close());

/** Everything the bot keeps, key and value, from the in-memory storage the stack gives it. */
function everythingStored(storage: Storage): string {
  const items = (storage as unknown as { items?: Map<string, { json: string }> }).items;
  expect(items).toBeInstanceOf(Map); // MemoryStorage changed: read its items another way
  return [...items!.entries()].map(([key, item]) => `${key} ${item.json}`).join('\n');
}

async function storedUnder(prefix: string): Promise<string> {
  const keys = await s.stack.botStorage.list(prefix);
  return JSON.stringify(await s.stack.botStorage.read(keys));
}

describe('a feed token in a request that needs approval', () => {
  it.each([
    {
      name: 'the install command',
      submit: async (): Promise<Submitted> => ({
        id: (await s.request(`install prod-chat\n${LINES}`)).id,
        answers: [],
      }),
    },
    {
      name: 'the install form',
      submit: async (): Promise<Submitted> => {
        const answer = await s.click(
          Verb.SubmitInstall,
          { name: 'prod-chat', requirements: LINES },
          'alex',
          'card-form',
        );
        expect(answer.type).toBe(ADAPTIVE);
        return { id: (await s.stack.bot.approvals.pending())[0].id, answers: [answer] };
      },
    },
  ])('should never show or store the token, yet install with it once approved ($name)', async ({ submit }) => {
    s = await startApprovalStack();
    const { id, answers: seen } = await submit();
    const record = await s.record(id);
    expect(record).toMatchObject({ kind: 'install', runtimeName: 'prod-chat', status: 'pending' });
    // The card shows the lines with the token masked.
    expect(JSON.stringify(record.changes)).toContain('-i https://***@pkgs.example/simple');

    for (const who of ['alex', 'megan'] as const)
      seen.push(await s.click(Verb.ViewApproval, { approvalId: id }, who, record.messageId!));
    const approved = await s.click(Verb.Approve, { approvalId: id }, 'megan', record.messageId!);
    seen.push(approved);
    expect(approved.text).toContain('Installing packages into prod-chat (approved)');
    await s.stack.settle();
    await s.stack.bot.approvals.sweep();

    // (Whether these cards are valid is requests.test.ts's business: here only the token matters.)
    for (const answer of seen) expect(JSON.stringify(answer.value)).not.toContain(TOKEN);
    for (const call of s.stack.connector.calls) expect(JSON.stringify(call.activity)).not.toContain(TOKEN);
    expect(await storedUnder('approvals/')).not.toContain(TOKEN);
    expect(JSON.stringify(await s.audit())).not.toContain(TOKEN);
    expect(everythingStored(s.stack.botStorage)).not.toContain(TOKEN);

    // The service got the real lines: it fingerprints the request as received, then stores it redacted.
    const [op] = await s.operations('prod-chat', 'install');
    expect(op).toMatchObject({ status: 'Succeeded', idempotencyKey: `approval-${id}` });
    expect(op.input.requirements).toBe('tiktoken\n-i https://***@pkgs.example/simple\nprivpkg');
    const received = (requirements: string) =>
      createHash('sha256')
        .update(JSON.stringify(['install', 'prod-chat', { requirements, saveOnly: false }]))
        .digest('hex');
    expect(op.fingerprint).toBe(received(LINES));
    expect(op.fingerprint).not.toBe(received(LINES.replace(TOKEN, '***')));
    expect(await s.record(id)).toMatchObject({ status: 'succeeded' });
  });
});
