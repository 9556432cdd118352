/**
 * One watcher for an approved change: from the approval click to the card's last update, the
 * operation is read once per page of service events that names it (the tracker, fed by the
 * notifier's tail), not by a poller per interested party. The service's own server counts the
 * requests per route, so a retry or a second poller would show.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Verb } from '../../src/core/actions/verbs';
import { UNCHANGED } from '../../src/storage/collection';
import { type ApprovalStack, cardsOf, startApprovalStack } from '../helpers/approvalStack';

let s: ApprovalStack;
afterEach(async () => s.close());

/** Counts the service's answered requests by `METHOD route`. */
function countRoutes(stack: ApprovalStack['stack']): Map<string, number> {
  const counts = new Map<string, number>();
  stack.service.server.on('after', (req: { method?: string; getRoute(): { path?: unknown } | null }) => {
    const route = `${req.method} ${String(req.getRoute()?.path ?? '?')}`;
    counts.set(route, (counts.get(route) ?? 0) + 1);
  });
  return counts;
}

/**
 * The running bot's cadence, by hand: each second the service works, the bot reads its events and
 * its tracker polls what is due; the approval sweep every ten seconds.
 */
async function second(s: ApprovalStack, n: number): Promise<void> {
  const { stack } = s;
  stack.clock.advance(1000);
  await stack.service.engine.tick();
  await stack.service.events.settled();
  await stack.bot.notifications.notifier.pollEvents();
  await stack.bot.tracker.pollDue();
  if (n % 10 === 0) await stack.bot.approvals.sweep();
}

const cardText = (s: ApprovalStack, messageId: string) =>
  s.stack.connector.updates(messageId).map((u) => JSON.stringify(cardsOf(u)));

describe('an approved reset', () => {
  it('should read its operation once per event page that names it, and end with the card showing the result', async () => {
    s = await startApprovalStack();
    await s.stack.bot.notifications.notifier.pollEvents(); // the bot's event cursor starts at the log's head
    const counts = countRoutes(s.stack);
    const { id, messageId } = await s.request('reset chat-dev');
    const answer = await s.click(Verb.Approve, { approvalId: id }, 'megan', messageId);
    expect(answer.text).toContain('Resetting chat-dev (approved)');
    const [op] = await s.operations('chat-dev', 'reset');
    const operationRoute = 'GET /v1/operations/:id';
    const readsAtApproval = counts.get(operationRoute) ?? 0;

    // Twenty seconds of the running bot: the reset takes three.
    for (let n = 1; n <= 20; n++) await second(s, n);

    const record = await s.record(id);
    expect(record).toMatchObject({ status: 'succeeded', operationId: op.id, result: { status: 'Succeeded' } });
    expect((await s.audit()).filter((e) => e.action === 'result')).toHaveLength(1);
    const updates = cardText(s, messageId);
    expect(updates.at(-1)).toMatch(/"text":"Done"/);
    // Idempotent: no update repeats the one before it.
    for (let i = 1; i < updates.length; i++) expect(updates[i]).not.toBe(updates[i - 1]);
    // Nothing follows the operation once it has ended: no reads after the last update.
    expect(await s.stack.botStorage.list('tracked-operations/')).toEqual([]);

    const reads = (counts.get(operationRoute) ?? 0) - readsAtApproval;
    // The events that named the operation: started, the runtime's moves, completed. They arrive
    // in at most as many pages as there are events, each page costing one read.
    const named = (await s.stack.service.events.after('0', 1000)).filter(
      (e) => (e.data.operation as { id?: string } | undefined)?.id === op.id || e.data.operationId === op.id,
    ).length;
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(named);
    // Here 5 events in 3 pages; a tracker polling each second and the sweep would read it 20 times or more.
    expect(named).toBeLessThanOrEqual(6);
  });

  it('should still reach the final card when no event is read, through the fallback poll', async () => {
    s = await startApprovalStack();
    const counts = countRoutes(s.stack);
    const { id, messageId } = await s.request('reset chat-dev');
    await s.click(Verb.Approve, { approvalId: id }, 'megan', messageId);
    for (let i = 0; i < 10; i++) {
      s.stack.clock.advance(1000);
      await s.stack.service.engine.tick();
    }
    await s.stack.service.events.settled();
    // Events missed (the reader was down): one fallback round reads the operation once.
    const before = counts.get('GET /v1/operations/:id') ?? 0;
    expect(await s.stack.bot.tracker.tick()).toBe(1);
    expect((counts.get('GET /v1/operations/:id') ?? 0) - before).toBe(1);
    expect(cardText(s, messageId).at(-1)).toMatch(/"text":"Done"/);
    expect((await s.record(id)).status).toBe('succeeded');
    // The sweep leaves ended requests alone: the operation is not read again.
    await s.stack.bot.approvals.sweep();
    expect((counts.get('GET /v1/operations/:id') ?? 0) - before).toBe(1);
  });

  it('should leave the result of a request whose card no message follows to the sweep, which reads the operation once', async () => {
    s = await startApprovalStack();
    const counts = countRoutes(s.stack);
    const { id } = await s.request('reset chat-dev');
    // The card's place was never stored (its conversation was not allowed): nothing can follow it.
    await s.stack.bot.approvals.requests.update(id, (r) =>
      r
        ? { ...r, messageId: undefined, conversation: { id: r.conversation.id, type: r.conversation.type } }
        : UNCHANGED,
    );
    await s.say(`approve ${id}`, 'megan');
    await s.stack.settle(); // the reset ends; the reply to Megan is followed to its end
    expect((await s.record(id)).status).toBe('executing');
    const before = counts.get('GET /v1/operations/:id') ?? 0;
    await s.stack.bot.approvals.sweep();
    expect((await s.record(id)).status).toBe('succeeded');
    expect((counts.get('GET /v1/operations/:id') ?? 0) - before).toBe(1);
    await s.stack.bot.approvals.sweep(); // closed: not read again
    expect((counts.get('GET /v1/operations/:id') ?? 0) - before).toBe(1);
  });
});
