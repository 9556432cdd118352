/**
 * The approval requests in storage: every transition is an eTag-guarded write of one request, and
 * an index of the open ones keeps the sweep from reading closed requests.
 */
import { AppError, ErrorCode, notFound } from '../../errors';
import { Collection, UNCHANGED } from '../../storage/collection';
import type { Storage } from '../../storage/storage';
import { type ApprovalRecord, OPEN_STATUSES } from './model';

export class ApprovalStore {
  readonly requests: Collection<ApprovalRecord>;
  private readonly open: Collection<{ since: string }>;

  constructor(storage: Storage) {
    this.requests = new Collection(storage, 'approvals');
    this.open = new Collection(storage, 'approvals-open');
  }

  async create(record: ApprovalRecord): Promise<void> {
    await this.requests.create(record.id, record);
    await this.open.put(record.id, { since: record.createdOn });
  }

  /** A request by the id a person typed or a card carried; a clear not-found otherwise. */
  async find(id: string): Promise<ApprovalRecord> {
    const clean = id.trim().toUpperCase();
    const record = /^[A-Z0-9]{4,12}$/.test(clean) ? await this.requests.get(clean) : undefined;
    if (!record)
      throw notFound(`There is no approval request ${id.slice(0, 20)}. Say \`approvals\` to see the pending ones.`);
    return record;
  }

  /** An eTag-guarded transition; undefined when the mutator declines (the state moved on). */
  transition(
    id: string,
    mutate: (r: ApprovalRecord) => Promise<ApprovalRecord | undefined>,
  ): Promise<ApprovalRecord | undefined> {
    const busy = () =>
      new AppError(ErrorCode.Conflict, 'Too many people are acting on this request at once; try again.');
    return this.requests.transition(id, mutate, busy);
  }

  /** Remembers where the request's card is, so that every later change updates it for everyone. */
  async attachMessage(id: string, conversationKey: string, messageId: string): Promise<void> {
    await this.requests.update(id, (r) =>
      r ? { ...r, messageId, conversation: { ...r.conversation, key: conversationKey } } : UNCHANGED,
    );
  }

  /** The open requests, each read fresh; an index entry whose request is gone is dropped. */
  async openRequests(): Promise<ApprovalRecord[]> {
    const found: ApprovalRecord[] = [];
    for (const id of await this.open.ids()) {
      const record = await this.requests.get(id);
      if (record) found.push(record);
      else await this.open.delete(id);
    }
    return found;
  }

  /** Pending requests, oldest first. */
  async pending(): Promise<ApprovalRecord[]> {
    const open = await this.requests.getMany(await this.open.ids());
    return open.filter((r) => r.status === 'pending').sort((a, b) => a.createdOn.localeCompare(b.createdOn));
  }

  /** Takes a request out of the open index once it can no longer move. */
  async closeIfDone(record: ApprovalRecord): Promise<void> {
    if (!OPEN_STATUSES.includes(record.status)) await this.open.delete(record.id);
  }
}
