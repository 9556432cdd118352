/** The summary card's Refresh: the on-call summary as it is now. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { refreshSummaryAction } from '../../../src/core/actions/refreshSummary';
import { as, type Core, startCore } from '../../helpers/coreHarness';
import { ACTORS } from '../../helpers/service';

let core: Core;
beforeEach(async () => {
  core = await startCore();
});
afterEach(() => core.close());

describe('summary.refresh', () => {
  it('should answer with the summary and the retirement line', async () => {
    const reply = as(await core.click(refreshSummaryAction, {}), 'summary');
    expect(reply.summary.total).toBe(5);
    expect(reply.retirement).toMatchObject({ retiresOn: '2027-04-20', runtimes: 5 });
  });

  it('should show a runtime created since', async () => {
    const created = await core.service.request('PUT', '/v1/runtimes/new-rt', {
      body: { type: 'automatic', vmSize: 'Standard_E4ds_v4' },
      actor: ACTORS.alex,
    });
    expect(created.status).toBe(202);
    expect(as(await core.click(refreshSummaryAction, {}), 'summary').summary.total).toBe(6);
  });
});
