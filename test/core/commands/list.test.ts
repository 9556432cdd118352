/** `list`: pages of runtimes, filtered by status or type, and clear words for a wrong page. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listCommand } from '../../../src/core/commands/list';
import { as, type Core, only, refusal, startCore } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore();
});
afterEach(() => core.close());

const names = (reply: { runtimes: { name: string }[] }) => reply.runtimes.map((r) => r.name).sort();

describe('list', () => {
  it('should list every runtime on one page', async () => {
    const reply = as(only(await core.command(listCommand, 'list')), 'runtimeList');
    expect(reply).toMatchObject({ page: 1, pages: 1, total: 5 });
    expect(names(reply)).toEqual(['chat-dev', 'ci-alex-runtime', 'legacy-ocr', 'prod-chat', 'rag-eval']);
  });

  it('should filter by status, whatever its case', async () => {
    const reply = as(only(await core.command(listCommand, 'list --status failed')), 'runtimeList');
    expect(names(reply)).toEqual(['rag-eval']);
    expect(reply.filter).toBe('status failed');
  });

  it('should take today’s type names and the API’s alike', async () => {
    const ci = as(only(await core.command(listCommand, 'list --type ci')), 'runtimeList');
    expect(names(ci)).toEqual(['ci-alex-runtime', 'legacy-ocr']);
    const sessions = as(only(await core.command(listCommand, 'list --type session')), 'runtimeList');
    expect(names(sessions)).toEqual(['chat-dev', 'prod-chat', 'rag-eval']);
  });

  it('should say how many pages there are when asked for one past the end', async () => {
    expect(await refusal(core.command(listCommand, 'list --page 2'))).toEqual({
      code: 'bad_request',
      message: 'There is only 1 page.',
    });
  });

  it('should refuse a page below 1 and an unknown option', async () => {
    expect((await refusal(core.command(listCommand, 'list --page 0'))).message).toBe('--page starts at 1.');
    expect((await refusal(core.command(listCommand, 'list --owner me'))).message).toContain('--owner');
  });
});
