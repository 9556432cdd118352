import { describe, expect, it } from 'vitest';
import { MAX_CARD_BYTES } from '../../../../src/channels/teams/cards/render';
import { createFormCard } from '../../../../src/channels/teams/cards/views/createForm';
import { editFormCard } from '../../../../src/channels/teams/cards/views/editForm';
import { installFormCard } from '../../../../src/channels/teams/cards/views/installForm';
import type { CreateFormView, EditFormView, InstallFormView } from '../../../../src/core/replies';
import type { Runtime } from '../../../../src/domain/runtime';
import { cardActions, validateCard } from '../../../helpers/cardValidation';
import { growth, linearBound } from '../../../helpers/growth';

const EXPR = '${$root.values.name} ${if(true, 1, 2)}';
const HOSTILE = [
  EXPR,
  '**bold** [x](http://evil.example)',
  'x'.repeat(10_000),
  '😀🚀'.repeat(200),
  'مرحبا עולם',
  '<script>alert(1)</script>',
  // Teams' limit is bytes: 8,000 of these are 24 KB of UTF-8, and 16 KB once JSON escapes them.
  '漢'.repeat(8_000),
  '"'.repeat(8_000),
  '\\'.repeat(8_000),
  '\u0001'.repeat(8_000),
];

const options = {
  vmSizes: [
    { name: 'Standard_E4ds_v4', title: 'Standard_E4ds_v4 · 4 vCPU, 32 GB' },
    { name: 'Standard_E8ds_v4', title: 'Standard_E8ds_v4 · 8 vCPU, 64 GB' },
  ],
  computeInstances: [{ name: 'ci-alex', title: 'ci-alex · Running', applications: ['pf-app'] }],
  environments: ['pf-langchain-env'],
  identities: [
    {
      name: 'uai-promptflow',
      resourceId:
        '/subscriptions/0/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-promptflow',
    },
  ],
};

const runtime: Runtime = {
  name: 'chat-dev',
  type: 'automatic',
  status: 'Running',
  outdated: false,
  owner: { objectId: 'a', name: 'Alex' },
  createdOn: '2026-01-01T00:00:00Z',
  modifiedOn: '2026-01-01T00:00:00Z',
  vmSize: 'Standard_E4ds_v4',
  idleTimeMinutes: 60,
};

function createForm(
  type: CreateFormView['type'],
  values: Record<string, string> = {},
  errors: Record<string, string> = {},
): CreateFormView {
  return { ...options, type, values, errors };
}

/** Every `${` of the output must come from a data value: the template itself is fully resolved. */
function unresolved(card: object, allowed: string[]): string[] {
  const text = JSON.stringify(card);
  let rest = text;
  for (const value of allowed) rest = rest.split(JSON.stringify(value).slice(1, -1)).join('');
  return rest.match(/\$\{[^}]*\}/g) ?? [];
}

describe('form cards', () => {
  it.each(['automatic', 'computeInstance', 'managedOnlineDeployment'] as const)(
    'should render the %s create form as a valid 1.5 card',
    (type) => {
      const card = createFormCard(createForm(type, { name: 'my-rt', idleTimeMinutes: '90' }));
      expect(validateCard(card)).toEqual([]);
      expect(unresolved(card, [])).toEqual([]);
      expect(card.version).toBe('1.5');
      const ids = JSON.stringify(card);
      if (type === 'automatic') expect(ids).toContain('"id":"vmSize"');
      if (type === 'computeInstance') expect(ids).toContain('"id":"computeInstanceName"');
      if (type === 'managedOnlineDeployment') expect(ids).toContain('"id":"endpointName"');
    },
  );

  it('should keep what the user typed and show each field error under its field', () => {
    const card = createFormCard(
      createForm(
        'automatic',
        { name: 'chat-dev', vmSize: 'Standard_E8ds_v4', idleTimeMinutes: '120', description: 'eval' },
        { name: 'A runtime named chat-dev already exists.' },
      ),
    );
    const text = JSON.stringify(card);
    expect(text).toContain('"value":"chat-dev"');
    expect(text).toContain('"value":"Standard_E8ds_v4"');
    expect(text).toContain('"value":120');
    expect(text).toContain('A runtime named chat-dev already exists.');
    expect(validateCard(card)).toEqual([]);
  });

  it('should validate on the client: required fields, the name pattern and idle-time bounds', () => {
    const text = JSON.stringify(createFormCard(createForm('automatic')));
    expect(text).toMatch(/"id":"name"[^}]*"isRequired":true[^}]*"regex":"\^\[A-Za-z\]/);
    expect(text).toMatch(/"id":"idleTimeMinutes"[^}]*"min":15,"max":4320/);
  });

  it('should offer only the compute instances it is given, and warn that a new application restarts one', () => {
    const text = JSON.stringify(createFormCard(createForm('computeInstance')));
    expect(text).toContain('ci-alex');
    expect(text).toContain('restarts the compute instance');
  });

  it.each(HOSTILE)('should insert hostile text literally and stay within 28 KB: %#', (hostile) => {
    const values = Object.fromEntries(
      ['name', 'vmSize', 'description', 'endpointName', 'computeInstanceName'].map((f) => [f, hostile]),
    );
    const errors = { name: hostile, vmSize: hostile };
    for (const type of ['automatic', 'computeInstance', 'managedOnlineDeployment'] as const) {
      const card = createFormCard({ ...createForm(type, values, errors), message: hostile });
      expect(Buffer.byteLength(JSON.stringify(card))).toBeLessThanOrEqual(MAX_CARD_BYTES);
      expect(validateCard(card)).toEqual([]);
      expect(unresolved(card, [hostile, hostile.slice(0, 499), hostile.slice(0, 999)]).length).toBe(0);
    }
  });

  it('should render the install form with both buttons, and never echo a feed token', () => {
    const form: InstallFormView = {
      runtimeName: 'chat-dev',
      values: { requirements: 'numpy\n-i https://SECRET_TOKEN_123@pkgs.example/simple\nprivpkg', flowDag: '' },
      errors: { requirements: 'line 2: could not reach https://SECRET_TOKEN_123@pkgs.example/simple' },
      notes: ['a note'],
    };
    const card = installFormCard(form);
    const text = JSON.stringify(card);
    expect(text).not.toContain('SECRET_TOKEN_123');
    expect(validateCard(card)).toEqual([]);
    const titles = cardActions(card).map((a) => a.title);
    expect(titles).toEqual(['Save and install', 'Save only']);
  });

  it.each([
    [
      'a comment line beside a bad line',
      `# feed password: TOKen_Zq81xW\n-i https://TOKen_Zq81xW@pkgs.example/simple\nbad line!`,
    ],
    ['a scheme-less feed', '-i TOKen_Zq81xW@pkgs.example/simple\nnumpy'],
    ['a trusted host with credentials', '--trusted-host TOKen_Zq81xW@pkgs.example\nnumpy'],
    ['an overlong line', `-i https://TOKen_Zq81xW@pkgs.example/${'x'.repeat(1200)}\n# TOKen_Zq81xW`],
    ['a token cut by the clip', `${'#'.repeat(7_990)}\n-i https://TOKen_Zq81xW@pkgs.example/simple`],
  ])('should not echo a feed token from %s', (_what, requirements) => {
    const card = installFormCard({
      runtimeName: 'chat-dev',
      values: { requirements, flowDag: `# TOKen_Zq81xW` },
      errors: { requirements: `line 3: "bad line!" is not valid; TOKen_Zq81xW` },
      message: 'Some requirement lines cannot be installed as written.',
      notes: [],
    });
    expect(JSON.stringify(card)).not.toContain('Zq81xW');
    expect(validateCard(card)).toEqual([]);
  });

  // `a.` 50,000 times took the process 8.8 s before: the redaction backtracked on the dotted run.
  it('should render an install form of 100 KB in linear time', () => {
    const form = (size: number): InstallFormView => ({
      runtimeName: 'chat-dev',
      values: { requirements: 'a.'.repeat(size / 2), flowDag: '' },
      errors: { requirements: 'line 1 is longer than 1000 characters' },
      message: '',
      notes: [],
    });
    expect(growth((size) => installFormCard(form(size)), 10_000, 100_000)).toBeLessThan(linearBound(10_000, 100_000));
  });

  it.each(HOSTILE)('should keep the install form valid with hostile input: %#', (hostile) => {
    const card = installFormCard({
      runtimeName: hostile,
      values: { requirements: hostile, flowDag: hostile },
      errors: { requirements: hostile, flowDag: hostile },
      message: hostile,
      notes: [hostile],
    });
    expect(Buffer.byteLength(JSON.stringify(card))).toBeLessThanOrEqual(MAX_CARD_BYTES);
    expect(validateCard(card)).toEqual([]);
  });

  it.each([
    ['automatic', 'idleTimeMinutes'],
    ['computeInstance', 'environment'],
    ['managedOnlineDeployment', 'instanceCount'],
  ] as const)('should render the edit form of a %s runtime with its own fields', (type, fieldId) => {
    const form: EditFormView = {
      runtime: { ...runtime, type },
      values: {},
      errors: {},
      vmSizes: options.vmSizes,
      environments: options.environments,
    };
    const card = editFormCard(form);
    expect(validateCard(card)).toEqual([]);
    expect(JSON.stringify(card)).toContain(`"id":"${fieldId}"`);
    expect(unresolved(card, [])).toEqual([]);
  });
});
