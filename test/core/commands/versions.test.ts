/** `versions`: the outdated runtimes with the viewer's upgrade button, or one runtime's check. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { versionsCommand } from '../../../src/core/commands/versions';
import { as, type Core, only, POLICY, refusal, startCore } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
});
afterEach(() => core.close());

describe('versions', () => {
  it('should list the outdated runtimes and offer a data scientist the upgrade', async () => {
    const reply = as(only(await core.command(versionsCommand, 'versions')), 'versions');
    expect(reply.report.outdated.map((r) => r.name).sort()).toEqual(['ci-alex-runtime', 'legacy-ocr', 'prod-chat']);
    expect(reply.canUpgrade).toBe(true);
    expect(reply.retirement).toMatchObject({ lastImage: '20251211.v2' });
  });

  it('should not offer a viewer the upgrade', async () => {
    const reply = as(only(await core.command(versionsCommand, 'versions', { who: 'isaiah' })), 'versions');
    expect(reply.report.outdated).not.toHaveLength(0);
    expect(reply.canUpgrade).toBe(false);
  });

  it('should check one runtime by name', async () => {
    const reply = as(only(await core.command(versionsCommand, 'versions chat-dev')), 'versionCheck');
    expect(reply.check).toMatchObject({ name: 'chat-dev', outdated: false });
  });

  it('should say a runtime that does not exist is not there', async () => {
    expect(await refusal(core.command(versionsCommand, 'versions ghost-rt'))).toMatchObject({ code: 'not_found' });
  });
});
