/**
 * The retirement notices: 90, 30, 7 and 1 days before prompt flow retires, every subscribed
 * conversation hears it once, whatever its topics (it is rare and it concerns every runtime).
 *
 * Once across replicas and restarts: the notice's id names the retirement day and the threshold
 * (`retirement-2027-04-20-90d`), so the outbox's create-only items queue it once per conversation
 * however many replicas produce it; a durable mark, written after queueing, keeps it from being
 * produced again once the outbox has pruned the sent notice. Moving the date (a new setting) makes
 * new ids: the notices count down to the new day.
 */
import type { RuntimeClient } from '../../client/runtimeClient';
import type { Clock } from '../../clock';
import type { NotificationConfig } from '../../config';
import type { Logger } from '../../logger';
import { Collection } from '../../storage/collection';
import { isEtagConflict, type Storage } from '../../storage/storage';
import { dueNotice, retirementStatus } from '../retirement/calendar';
import type { Outbox } from './outbox';
import type { SubscriptionStore } from './subscriptions';

export interface RetirementNoticeDeps {
  storage: Storage;
  client: RuntimeClient;
  outbox: Outbox;
  subscriptions: SubscriptionStore;
  clock: Clock;
  log: Logger;
  config: NotificationConfig;
}

interface NoticeMark {
  queuedAt: string;
  conversations: number;
}

/** The id of the notice `days` before the retirement on `retiresOn`. */
export function retirementNoticeId(retiresOn: string, days: number): string {
  return `retirement-${retiresOn}-${days}d`;
}

/**
 * Queues the notice due now, if any and not yet produced; returns how many conversations it was
 * queued for. Costs nothing between thresholds, and one read once a notice has gone out.
 */
export async function queueRetirementNotice(o: RetirementNoticeDeps): Promise<number> {
  const calendar = o.config.retirement;
  if (!calendar) return 0;
  const now = o.clock.now();
  const days = dueNotice(calendar, now);
  if (days === undefined) return 0;
  const id = retirementNoticeId(calendar.retiresOn, days);
  const marks = new Collection<NoticeMark>(o.storage, 'retirement-notices');
  if (await marks.get(id)) return 0;
  const keys = (await o.subscriptions.subscribed()).map((s) => s.conversationKey);
  const { total } = await o.client.summary();
  const queued = await o.outbox.enqueue(
    id,
    'retirement',
    { kind: 'retirementNotice', retirement: retirementStatus(calendar, now, total) },
    keys,
  );
  try {
    await marks.create(id, { queuedAt: new Date(now).toISOString(), conversations: keys.length });
  } catch (error) {
    if (!isEtagConflict(error)) throw error; // another replica marked it first
  }
  if (queued) o.log.info('retirement notice queued', { notification: id, conversations: queued });
  return queued;
}
