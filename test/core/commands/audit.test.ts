/** `audit`: the newest entries (of one runtime), the export, and who may read it. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditCommand } from '../../../src/core/commands/audit';
import { resetCommand } from '../../../src/core/commands/reset';
import { stopCommand } from '../../../src/core/commands/stop';
import { as, type Core, only, POLICY, refusal, startCore, textOf } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
  await core.command(resetCommand, 'reset rag-eval');
  core.service.clock.advance(1000);
  await core.command(stopCommand, 'stop ci-alex-runtime');
});
afterEach(() => core.close());

describe('audit', () => {
  it('should show the newest entries first', async () => {
    const reply = as(only(await core.command(auditCommand, 'audit')), 'audit');
    expect(reply.entries.map((e) => [e.action, e.runtime, e.kind])).toEqual([
      ['direct', 'ci-alex-runtime', 'stop'],
      ['direct', 'rag-eval', 'reset'],
    ]);
  });

  it('should keep to one runtime when named, and to the limit asked', async () => {
    const one = as(only(await core.command(auditCommand, 'audit rag-eval')), 'audit');
    expect(one).toMatchObject({ runtime: 'rag-eval', entries: [{ runtime: 'rag-eval' }] });
    expect(as(only(await core.command(auditCommand, 'history --limit 1')), 'audit').entries).toHaveLength(1);
  });

  it('should export JSON lines, oldest first', async () => {
    const reply = as(only(await core.command(auditCommand, 'audit --export')), 'audit');
    const lines = reply.export!.split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.runtime)).toEqual(['rag-eval', 'ci-alex-runtime']);
  });

  it('should show a viewer the trail, and not show it to someone in no role', async () => {
    expect(as(only(await core.command(auditCommand, 'audit', { who: 'isaiah' })), 'audit').entries).toHaveLength(2);
    await core.close();
    core = await startCore({ policy: POLICY.replace('defaultRole: viewer\n', '') });
    const reply = as(only(await core.command(auditCommand, 'audit', { who: 'isaiah' })), 'error');
    expect(textOf(reply)).toBe('You need a role in the policy to read the audit trail.');
  });

  it('should refuse a limit out of range', async () => {
    expect(await refusal(core.command(auditCommand, 'audit --limit 500'))).toEqual({
      code: 'bad_request',
      message: '--limit must be from 1 to 100.',
    });
  });
});
