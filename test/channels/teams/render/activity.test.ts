/** Every reply kind reaches Teams as a card or, deliberately, as markdown text; none is dropped. */
import { describe, expect, it } from 'vitest';
import { toActivity, toInvokeResponse } from '../../../../src/channels/teams/render/activity';
import type { Reply } from '../../../../src/core/replies';

const LISTS: Reply[] = [
  { kind: 'approvals', pending: [] },
  { kind: 'audit', entries: [], runtime: 'chat-dev' },
  {
    kind: 'roles',
    people: [{ objectId: 'aaaa1111-0000-4000-8000-00000000000a', name: 'Alex *Wilber*', roles: ['operator'] }],
  },
];

describe('toActivity', () => {
  it.each(LISTS.map((r) => [r.kind, r] as const))('should send %s as markdown text', (_kind, reply) => {
    const activity = toActivity(reply);
    expect(activity.attachments).toBeUndefined();
    expect(activity.textFormat).toBe('markdown');
    expect(activity.text?.length).toBeGreaterThan(10);
    expect(toInvokeResponse(reply)).toMatchObject({ type: 'application/vnd.microsoft.activity.message' });
  });

  it('should keep user text in a list inert', () => {
    expect(toActivity(LISTS[2]!).text).toContain('Alex \\*Wilber\\*');
  });

  it('should refuse a kind it does not know rather than send nothing', () => {
    const unknown = { kind: 'poll', question: '?' } as unknown as Reply;
    expect(() => toActivity(unknown)).toThrow(/Unhandled reply kind/);
  });
});
