/** The install form's Install or Save: the change, or the form again with the problem and the input kept. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { submitInstallAction } from '../../../src/core/actions/submitInstall';
import { as, type Core, refusal, startCore } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore();
});
afterEach(() => core.close());

describe('install.submit', () => {
  it('should install the lines of the form', async () => {
    const reply = as(
      await core.click(submitInstallAction, { name: 'chat-dev', requirements: 'numpy\npandas==2.2.3' }),
      'operation',
    );
    expect(reply.operation.kind).toBe('install');
    const [op] = await core.operations('chat-dev', 'install');
    expect(op.input).toMatchObject({ requirements: 'numpy\npandas==2.2.3', saveOnly: false });
  });

  it('should only save when asked', async () => {
    await core.click(submitInstallAction, { name: 'chat-dev', requirements: 'numpy', saveOnly: 'true' });
    expect((await core.operations('chat-dev', 'install'))[0].input).toMatchObject({ saveOnly: true });
  });

  it('should return the form with the lines pip cannot take, and start nothing', async () => {
    const requirements = 'numpy\n-r other.txt';
    const reply = as(await core.click(submitInstallAction, { name: 'chat-dev', requirements }), 'installForm');
    expect(reply.form.message).toBe('Some requirement lines cannot be installed as written.');
    expect(reply.form.errors.requirements).toContain('line 2');
    expect(reply.form.values.requirements).toBe(requirements);
    expect(await core.operations('chat-dev')).toEqual([]);
  });

  it('should ask for at least one package', async () => {
    const reply = as(
      await core.click(submitInstallAction, { name: 'chat-dev', requirements: '# none\n' }),
      'installForm',
    );
    expect(reply.form.errors).toEqual({ requirements: 'Add at least one package.' });
  });

  it('should note what a pasted flow.dag.yaml asks for', async () => {
    const flowDag = 'environment:\n  python_requirements_txt: requirements.txt\n';
    const reply = as(
      await core.click(submitInstallAction, { name: 'chat-dev', requirements: '', flowDag }),
      'installForm',
    );
    expect(reply.form.notes).toEqual([expect.stringContaining('installs from requirements.txt')]);
  });

  it('should return the form when the flow.dag.yaml is not YAML', async () => {
    const reply = as(
      await core.click(submitInstallAction, { name: 'chat-dev', requirements: 'numpy', flowDag: 'nodes: [' }),
      'installForm',
    );
    expect(reply.form.errors.flowDag).toBeTruthy();
    expect(await core.operations('chat-dev')).toEqual([]);
  });

  it('should return the form when the flow.dag.yaml is an alias bomb', async () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (const [i, name] of [...'bcdefghij'].entries())
      lines.push(`${name}: &${name} [${Array(10).fill(`*${'abcdefghij'[i]}`).join(', ')}]`);
    const flowDag = `${lines.join('\n')}\nenvironment: {}\n`;
    const reply = as(
      await core.click(submitInstallAction, { name: 'chat-dev', requirements: 'numpy', flowDag }),
      'installForm',
    );
    expect(reply.form.errors.flowDag).toContain('aliases');
    expect(await core.operations('chat-dev')).toEqual([]);
  });

  it('should refuse a card without the runtime’s name', async () => {
    expect((await refusal(core.click(submitInstallAction, { requirements: 'numpy' }))).message).toContain(
      'missing name',
    );
  });
});
