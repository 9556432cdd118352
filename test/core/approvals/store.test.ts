/** ApprovalStore: ids as people type them, guarded transitions, and the open index the sweep reads. */
import { describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../../../src/core/approvals/model';
import { ApprovalStore } from '../../../src/core/approvals/store';
import { AppError, ErrorCode } from '../../../src/errors';
import { MemoryStorage } from '../../../src/storage/memoryStorage';

function request(id: string, extra: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    id,
    status: 'pending',
    kind: 'reset',
    runtimeName: 'chat-dev',
    sealed: 'sealed',
    changes: [],
    warnings: [],
    requester: { objectId: '00000000-0000-0000-0000-0000000000020', name: 'Alex Wilber' },
    conversation: { id: '19:general@thread.tacv2', type: 'channel' },
    approvalsRequired: 1,
    approverRole: 'owner',
    ruleLine: 7,
    votes: [],
    createdOn: '2026-11-23T09:00:00.000Z',
    expiresAt: '2026-11-23T10:00:00.000Z',
    ...extra,
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return error instanceof AppError ? error.code : 'not an AppError';
  }
  return undefined;
}

describe('ApprovalStore', () => {
  it('should find a request by the id as typed, in any case and with spaces around it', async () => {
    const store = new ApprovalStore(new MemoryStorage());
    await store.create(request('K7Q2XM'));
    expect((await store.find(' k7q2xm ')).id).toBe('K7Q2XM');
  });

  it.each(['NOPE42', 'K7Q2XM/../x', '', 'a'.repeat(200), 'K7Q 2XM'])(
    'should answer %j with a not-found that says what to do',
    async (typed) => {
      const store = new ApprovalStore(new MemoryStorage());
      await store.create(request('K7Q2XM'));
      expect(await codeOf(store.find(typed))).toBe(ErrorCode.NotFound);
      await expect(store.find(typed)).rejects.toThrow(/Say `approvals` to see the pending ones/);
    },
  );

  it('should apply a transition once, and report a declined one as undefined', async () => {
    const store = new ApprovalStore(new MemoryStorage());
    await store.create(request('K7Q2XM'));
    const approve = async (r: ApprovalRecord) =>
      r.status === 'pending' ? { ...r, status: 'approved' as const } : undefined;
    const [first, second] = await Promise.all([
      store.transition('K7Q2XM', approve),
      store.transition('K7Q2XM', approve),
    ]);
    expect([first?.status, second?.status].sort()).toEqual(['approved', undefined]);
  });

  it('should keep a request in the open index until it ends, and drop index entries whose request is gone', async () => {
    const storage = new MemoryStorage();
    const store = new ApprovalStore(storage);
    await store.create(request('AAAA11', { createdOn: '2026-11-23T09:00:01.000Z' }));
    await store.create(request('BBBB22'));
    await store.closeIfDone(request('AAAA11', { status: 'executing' }));
    expect((await store.pending()).map((r) => r.id)).toEqual(['BBBB22', 'AAAA11']);
    await store.closeIfDone(request('AAAA11', { status: 'succeeded' }));
    expect((await store.openRequests()).map((r) => r.id)).toEqual(['BBBB22']);
    await store.requests.delete('BBBB22');
    expect(await store.openRequests()).toEqual([]);
    expect(await storage.list('approvals-open/')).toEqual([]);
  });

  it('should remember where the card is, and ignore a request that does not exist', async () => {
    const store = new ApprovalStore(new MemoryStorage());
    await store.create(request('K7Q2XM'));
    await store.attachMessage('K7Q2XM', 'conv-key', 'msg-1');
    expect(await store.find('K7Q2XM')).toMatchObject({ messageId: 'msg-1', conversation: { key: 'conv-key' } });
    await store.attachMessage('ZZZZ99', 'conv-key', 'msg-2');
    expect(await store.requests.ids()).toEqual(['K7Q2XM']);
  });
});
