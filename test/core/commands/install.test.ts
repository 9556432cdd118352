/** `install`: requirement lines typed or attached, the prefilled form without lines, and pip's options. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installCommand } from '../../../src/core/commands/install';
import { as, type Core, only, POLICY, refusal, startCore } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
});
afterEach(() => core.close());

describe('install', () => {
  it('should install the packages typed on one line, one requirement a line', async () => {
    const reply = as(only(await core.command(installCommand, 'install chat-dev numpy pandas==2.2.3')), 'operation');
    expect(reply.operation).toMatchObject({ kind: 'install', runtimeName: 'chat-dev' });
    const [op] = await core.operations('chat-dev', 'install');
    expect(op.input).toMatchObject({ requirements: 'numpy\npandas==2.2.3', saveOnly: false });
  });

  it('should keep an index option with its value, and save only with --save-only', async () => {
    await core.command(installCommand, 'install chat-dev --save-only -i https://pypi.org/simple tiktoken');
    const [op] = await core.operations('chat-dev', 'install');
    expect(op.input).toMatchObject({ requirements: '-i https://pypi.org/simple\ntiktoken', saveOnly: true });
  });

  it('should read the lines of an attached requirements.txt', async () => {
    const attachments = [
      { name: 'requirements.txt', contentType: 'text/plain', content: 'faiss-cpu\nlangchain==0.3.9\n' },
    ];
    await core.command(installCommand, 'install rag-eval', { attachments });
    const [op] = await core.operations('rag-eval', 'install');
    expect(op.input).toMatchObject({ requirements: 'faiss-cpu\nlangchain==0.3.9' });
  });

  it('should open the form prefilled with the saved requirements when no lines are given', async () => {
    const reply = as(only(await core.command(installCommand, 'install chat-dev')), 'installForm');
    expect(reply.form).toMatchObject({ runtimeName: 'chat-dev', values: { requirements: 'openai>=1.30\ntiktoken' } });
    expect(await core.operations('chat-dev')).toEqual([]);
  });

  it('should wait for an owner before installing into a production runtime', async () => {
    const reply = as(only(await core.command(installCommand, 'install prod-chat numpy')), 'approval');
    expect(reply.approval).toMatchObject({ kind: 'install', runtimeName: 'prod-chat', status: 'pending' });
  });

  it('should refuse an option that is neither its own nor pip’s', async () => {
    expect(await refusal(core.command(installCommand, 'install chat-dev --upgrade numpy'))).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('--upgrade'),
    });
  });

  it('should ask which runtime when none is named', async () => {
    expect(await refusal(core.command(installCommand, 'install'))).toMatchObject({
      message: 'Which runtime? Give its name.',
    });
  });
});
