/** Previous, next and refresh on the retirement inventory: the retirement command at the card's page. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { retirementPageAction } from '../../../src/core/actions/retirementPage';
import { as, type Core, POLICY, refusal, startCore } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
});
afterEach(() => core.close());

describe('retirement.page', () => {
  it('should show the inventory page with the runtimes this viewer may stop', async () => {
    const reply = as(await core.click(retirementPageAction, { page: '1' }), 'retirement');
    expect(reply).toMatchObject({ page: 1, pages: 1, total: 5 });
    expect(reply.rows.map((r) => r.name).sort()).toEqual([
      'chat-dev',
      'ci-alex-runtime',
      'legacy-ocr',
      'prod-chat',
      'rag-eval',
    ]);
    expect(reply.stoppable.length).toBeGreaterThan(0);
  });

  it('should offer a viewer nothing to stop', async () => {
    expect(as(await core.click(retirementPageAction, {}, { who: 'isaiah' }), 'retirement').stoppable).toEqual([]);
  });

  it('should refuse a page past the end', async () => {
    expect((await refusal(core.click(retirementPageAction, { page: '4' }))).message).toBe('There is only 1 page.');
  });
});
