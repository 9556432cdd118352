/** Previous and next on the runtime list: the list command with the card's page and filters. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listPageAction } from '../../../src/core/actions/listPage';
import { as, type Core, refusal, startCore } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore();
});
afterEach(() => core.close());

describe('list.page', () => {
  it('should keep the card’s filters', async () => {
    const reply = as(await core.click(listPageAction, { page: '1', type: 'ci' }), 'runtimeList');
    expect(reply.runtimes.map((r) => r.name).sort()).toEqual(['ci-alex-runtime', 'legacy-ocr']);
    expect(reply).toMatchObject({ page: 1, type: 'ci' });
  });

  it('should take a page sent as a number', async () => {
    expect(as(await core.click(listPageAction, { page: 1, status: 'Running' }), 'runtimeList').total).toBe(3);
  });

  it('should refuse a page past the end and a page that is not a number', async () => {
    expect((await refusal(core.click(listPageAction, { page: '3' }))).message).toBe('There is only 1 page.');
    expect((await refusal(core.click(listPageAction, { page: 'two' }))).message).toContain('whole number');
  });
});
