import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Verb } from '../../../src/core/actions/verbs';
import { messageActivity, postActivity, type Who } from '../../helpers/activities';
import { validateCard } from '../../helpers/cardValidation';
import { type Stack, startStack } from '../../helpers/stack';

interface InvokeAnswer {
  status: number;
  statusCode?: number;
  type?: string;
  value?: unknown;
  text: string;
}

let stack: Stack;
let replyTo = 0;

/** Clicks an Action.Execute button on a card (message `replyToId`) as a user. */
async function click(
  verb: string,
  data: Record<string, unknown> = {},
  who: Who = 'alex',
  replyToId = `card-${replyTo}`,
): Promise<InvokeAnswer> {
  const activity = {
    ...messageActivity(stack.connector.url, '', who),
    type: 'invoke',
    name: 'adaptiveCard/action',
    text: undefined,
    replyToId,
    value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
  };
  const { status, body } = await postActivity(stack.botUrl, activity);
  const parsed = body ? JSON.parse(body) : {};
  return { status, ...parsed, text: JSON.stringify(parsed.value ?? '') };
}

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack.close());
beforeEach(() => {
  replyTo++;
});

describe('card actions', () => {
  it('should open the create form with only the choices the user may pick', async () => {
    const answer = await click(Verb.OpenCreate);
    expect(answer.status).toBe(200);
    expect(answer.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(validateCard(answer.value)).toEqual([]);
    expect(answer.text).toContain('Standard_E4ds_v4');
    expect(answer.text).not.toContain('Standard_NC24ads_A100_v4'); // no quota
  });

  it('should switch the form to compute instances, offering only the user own or assigned ones', async () => {
    const answer = await click(Verb.SwitchCreateType, { type: 'computeInstance', name: 'keep-me' });
    expect(answer.text).toContain('ci-alex');
    expect(answer.text).toContain('ci-team-gpu'); // assigned to Alex
    expect(answer.text).not.toContain('ci-megan');
    expect(answer.text).toContain('"value":"keep-me"');
  });

  it('should return the form with a field error and the input kept when the service refuses it', async () => {
    const answer = await click(Verb.SubmitCreate, {
      type: 'automatic',
      name: 'chat-dev',
      vmSize: 'Standard_E8ds_v4',
      idleTimeMinutes: '120',
      description: 'mine',
    });
    expect(answer.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(answer.text).toContain('already exists');
    expect(answer.text).toContain('"value":"Standard_E8ds_v4"');
    expect(answer.text).toContain('"value":"mine"');
    expect(answer.text).toContain('"value":120');
  });

  it('should show a server-side rule as an error under its field (idle time out of bounds)', async () => {
    const answer = await click(Verb.SubmitCreate, {
      type: 'automatic',
      name: 'idle-rt',
      vmSize: 'Standard_E4ds_v4',
      idleTimeMinutes: '5',
    });
    expect(answer.text).toContain('Idle time must be a whole number of minutes from 15 to 4320');
    expect(answer.text).toContain('"value":"idle-rt"');
  });

  it('should create from the form and update the clicked card until the runtime runs', async () => {
    const answer = await click(
      Verb.SubmitCreate,
      { type: 'automatic', name: 'form-made', vmSize: 'Standard_E4ds_v4', idleTimeMinutes: '60' },
      'alex',
      'card-create',
    );
    expect(answer.text).toContain('Creating form-made');
    await stack.settle();
    const updates = stack.connector.updates('card-create');
    expect(updates.length).toBeGreaterThan(0);
    expect(JSON.stringify(updates.at(-1)!.activity)).toMatch(/done|Succeeded/i);
  });

  it('should start one operation for a double click', async () => {
    const [a, b] = await Promise.all([
      click(Verb.Reset, { name: 'rag-eval' }, 'alex', 'card-double'),
      click(Verb.Reset, { name: 'rag-eval' }, 'alex', 'card-double'),
    ]);
    // The second click shows the first click's operation, or says it is already on it.
    for (const answer of [a, b]) expect(answer.text).toMatch(/Resetting rag-eval|already working/);
    const ops = (await stack.service.engine.operations.all()).filter(
      (o) => o.runtimeName === 'rag-eval' && o.kind === 'reset',
    );
    expect(ops).toHaveLength(1);
    const late = await click(Verb.Reset, { name: 'rag-eval' }, 'alex', 'card-double');
    expect(late.text).toContain(ops[0].id);
    await stack.settle();
  });

  it('should save requirements only, and never echo a feed token', async () => {
    const answer = await click(
      Verb.SubmitInstall,
      {
        name: 'chat-dev',
        saveOnly: true,
        requirements: 'tiktoken\n-i https://TOKEN_ABC_123@pkgs.example/simple\nprivpkg',
      },
      'alex',
      'card-save',
    );
    expect(answer.text).toContain('Saving requirements for chat-dev');
    expect(answer.text).not.toContain('TOKEN_ABC_123');
    await stack.settle();
    for (const call of stack.connector.calls) expect(JSON.stringify(call.activity)).not.toContain('TOKEN_ABC_123');
    const stored = JSON.stringify(await stack.service.engine.runtimes.get('chat-dev'));
    expect(stored).not.toContain('TOKEN_ABC_123');
  });

  it('should answer broken flow.dag.yaml with its line and column, keeping the requirement lines', async () => {
    const answer = await click(Verb.SubmitInstall, {
      name: 'chat-dev',
      requirements: 'numpy',
      flowDag: 'environment:\n  image: [unclosed\n',
    });
    expect(answer.text).toMatch(/line \d+, column \d+/);
    expect(answer.text).toContain('"value":"numpy"');
  });

  it('should read the image and requirements file from a pasted flow.dag.yaml', async () => {
    const answer = await click(Verb.SubmitInstall, {
      name: 'chat-dev',
      requirements: 'numpy==x==',
      flowDag:
        'environment:\n  image: mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable:20240429.v8\n  python_requirements_txt: reqs.txt\n',
    });
    expect(answer.text).toContain('reset the runtime to use it');
    expect(answer.text).toContain('reqs.txt');
  });

  it('should page the runtime list', async () => {
    for (let i = 0; i < 16; i++) {
      await fetch(`${stack.serviceUrl}/v1/runtimes/page-rt-${String(i).padStart(2, '0')}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json', 'X-Acting-User-Id': 'someone' },
        body: JSON.stringify({ type: 'automatic', vmSize: 'Standard_E4ds_v4' }),
      });
    }
    const second = await click(Verb.ListPage, { page: 2 });
    expect(second.text).toMatch(/[Pp]age 2/);
    expect(validateCard(second.value)).toEqual([]);
  });

  it('should answer an unknown verb and a card without its fields with a message, never a 500', async () => {
    const unknown = await click('no.such.verb', {});
    expect(unknown.status).toBe(200);
    expect(unknown.type).toBe('application/vnd.microsoft.activity.message');
    const missing = await click(Verb.Reset, {});
    expect(missing.type).toBe('application/vnd.microsoft.activity.message');
    expect(missing.text).toContain('missing');
    const hostile = await click(Verb.Reset, { name: { $ne: 1 } });
    expect(hostile.status).toBe(200);
  });

  it('should report that nothing changed on an unchanged edit form', async () => {
    const answer = await click(Verb.SubmitEdit, {
      name: 'chat-dev',
      vmSize: 'Standard_E4ds_v4',
      idleTimeMinutes: '240',
    });
    expect(answer.text).toContain('Nothing changed');
  });
});
