/** parsePolicy, ruleFor and globMatches: valid files, every validation error with its position, hostile input. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EXPIRY_MS,
  formatDuration,
  globMatches,
  type Policy,
  PolicyError,
  parseDuration,
  parsePolicy,
  ruleFor,
} from '../../../src/core/policy/policy';
import { OPERATION_KINDS } from '../../../src/domain/runtime';

const MEGAN = '00000000-0000-0000-0000-0000000000021';
const ALEX = '00000000-0000-0000-0000-0000000000020';
const MIN = 60_000;
const HOUR = 60 * MIN;

/** Joins lines, so each test's line numbers can be read off the array. */
const yaml = (...lines: string[]) => `${lines.join('\n')}\n`;

function errorOf(text: string, source?: string): PolicyError {
  try {
    parsePolicy(text, source);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return error as PolicyError;
  }
  throw new Error('expected a PolicyError');
}

const ROLES_OK = ['roles:', `  owner: [${MEGAN}]`];
/** The start of a rule on lines 3 to 5; tests add approvals (line 6) and more. */
const RULE = [...ROLES_OK, 'rules:', '  - operations: [stop]', '    runtimes: [a]'];

describe('parsePolicy', () => {
  it('should read both forms of a person and keep names', () => {
    const policy = parsePolicy(
      yaml(
        'roles:',
        '  owner:',
        `    - id: ${MEGAN}`,
        '      name: Megan Bowen',
        '  dataScientist:',
        `    - ${ALEX}      # a bare id`,
        `    - id: ${MEGAN}`,
        '  viewer: []',
      ),
    );
    expect(policy.roles).toEqual({ owner: [MEGAN], dataScientist: [ALEX, MEGAN], viewer: [] });
    expect(policy.names).toEqual({ [MEGAN]: 'Megan Bowen' });
    expect(policy.source).toBe('<inline>');
    expect(policy.defaultRole).toBeUndefined();
    expect(policy.rules).toEqual([]);
  });

  it('should lower-case ids, keep leading zeros of numeric ids and accept an empty role', () => {
    const policy = parsePolicy(yaml('roles:', '  owner: [ABC-DEF, 0012]', '  viewer:'));
    expect(policy.roles.owner).toEqual(['abc-def', '0012']);
    expect(policy.roles.viewer).toEqual([]);
    expect(policy.roles.dataScientist).toEqual([]);
  });

  it("should expand '*', apply defaults and record each rule's line", () => {
    const policy = parsePolicy(
      yaml(
        ...ROLES_OK,
        'defaultRole: viewer',
        'rules:',
        '  - operations: [reset, stop, reset]',
        '    runtimes: [prod-*]',
        '    approvals: 2',
        '    approverRole: dataScientist',
        '    expiresAfter: 30m',
        "  - operations: '*'",
        "    runtimes: '*'",
        '    approvals: 0',
        '  - operations: upgrade',
        '    runtimes: legacy-?',
        '    approvals: 1',
      ),
      '/etc/bot/policy.yaml',
    );
    expect(policy.defaultRole).toBe('viewer');
    expect(policy.source).toBe('/etc/bot/policy.yaml');
    expect(policy.rules).toEqual([
      {
        operations: ['reset', 'stop'],
        runtimes: ['prod-*'],
        approvals: 2,
        approverRole: 'dataScientist',
        expiresAfterMs: 30 * MIN,
        line: 5,
      },
      {
        operations: [...OPERATION_KINDS],
        runtimes: ['*'],
        approvals: 0,
        approverRole: 'owner',
        expiresAfterMs: DEFAULT_EXPIRY_MS,
        line: 10,
      },
      {
        operations: ['upgrade'],
        runtimes: ['legacy-?'],
        approvals: 1,
        approverRole: 'owner',
        expiresAfterMs: 24 * HOUR,
        line: 13,
      },
    ]);
  });

  it('should follow anchors and aliases', () => {
    const policy = parsePolicy(
      yaml(
        'roles:',
        `  owner: &owners [${MEGAN}]`,
        '  viewer: *owners',
        'rules:',
        '  - operations: &ops [stop]',
        '    runtimes: [a*]',
        '    approvals: 1',
        '  - {operations: *ops, runtimes: [b*], approvals: 0}',
      ),
    );
    expect(policy.roles.viewer).toEqual([MEGAN]);
    expect(policy.rules[1].operations).toEqual(['stop']);
  });

  it('should accept null defaultRole, null rules and unknown runtimes names in patterns with _', () => {
    const policy = parsePolicy(yaml(...ROLES_OK, 'defaultRole:', 'rules: ~'));
    expect(policy.defaultRole).toBeUndefined();
    expect(policy.rules).toEqual([]);
    const rule = '  - {operations: [stop], runtimes: [ci_*], approvals: 0}';
    expect(parsePolicy(yaml(...ROLES_OK, 'rules:', rule)).rules[0].runtimes).toEqual(['ci_*']);
  });

  it('should parse the shipped example and the Playground policy', async () => {
    const { readFileSync } = await import('node:fs');
    const example = parsePolicy(readFileSync('policy.example.yaml', 'utf8'), 'policy.example.yaml');
    expect(example.rules.length).toBeGreaterThan(1);
    const demo = parsePolicy(readFileSync('playground/policy.yaml', 'utf8'), 'playground/policy.yaml');
    expect(demo.roles.owner).toEqual([MEGAN]);
    expect(demo.roles.dataScientist).toEqual([ALEX, '00000000-0000-0000-0000-0000000000022']);
    expect(demo.defaultRole).toBe('viewer');
    expect(demo.names[ALEX]).toBe('Alex Wilber');
    expect(ruleFor(demo, 'reset', 'chat-dev')).toMatchObject({ approvals: 1, approverRole: 'owner' });
    expect(ruleFor(demo, 'reset', 'chat-dev').expiresAfterMs).toBe(HOUR);
    expect(ruleFor(demo, 'stop', 'chat-dev').approvals).toBe(0);
    expect(ruleFor(demo, 'upgrade', 'prod-chat')).toMatchObject({ approvals: 1, expiresAfterMs: 4 * HOUR });
    expect(ruleFor(demo, 'create', 'prod-new').approvals).toBe(1);
    expect(ruleFor(demo, 'create', 'rag-eval').approvals).toBe(0);
  });
});

describe('parsePolicy errors', () => {
  it.each([
    ['an unknown top-level key', yaml(...ROLES_OK, 'rule: []'), 3, 1, 'unknown key "rule"'],
    ['an unknown role', yaml('roles:', '  admin: []'), 2, 3, 'unknown role "admin"'],
    ['a bad bare id', yaml('roles:', '  owner:', '    - not an id!'), 3, 7, 'is not an Entra object id'],
    ['an id over 64 characters', yaml('roles:', `  owner: [${'a'.repeat(65)}]`), 2, 11, 'is not an Entra object id'],
    ['a bad id in the id form', yaml('roles:', '  owner:', '    - id: a/b', '      name: X'), 3, 11, 'not an Entra'],
    ['a person without an id', yaml('roles:', '  owner:', '    - name: X'), 3, 7, 'has no id'],
    ['an unknown key on a person', yaml('roles:', '  owner:', '    - id: abc', '      mail: x@'), 4, 7, 'key "mail"'],
    ['a person listed twice', yaml('roles:', '  owner: [abc, ABC]'), 2, 16, 'listed twice under owner'],
    ['a role that is not a list', yaml('roles:', '  owner: abc'), 2, 10, 'owner must be a list of people'],
    ['roles that are not a mapping', yaml('roles: [a]'), 1, 8, 'roles must map each role'],
    ['a missing roles section', yaml('defaultRole: viewer'), 1, 1, 'no roles section'],
    ['an unknown defaultRole', yaml(...ROLES_OK, 'defaultRole: admin'), 3, 14, 'unknown role "admin"'],
    ['a root that is not a mapping', yaml('- roles'), 1, 1, 'must be a mapping'],
    ['rules that are not a list', yaml(...ROLES_OK, 'rules: {a: 1}'), 3, 8, 'rules must be a list'],
    ['a rule that is not a mapping', yaml(...ROLES_OK, 'rules:', '  - reset'), 4, 5, 'each rule must be a mapping'],
    [
      'an unknown operation',
      yaml(...ROLES_OK, 'rules:', '  - operations: [reset, delete]', '    runtimes: [a]', '    approvals: 0'),
      4,
      25,
      'unknown operation "delete"',
    ],
    [
      'empty operations',
      yaml(...ROLES_OK, 'rules:', '  - operations: []', '    runtimes: [a]', '    approvals: 0'),
      4,
      17,
      'operations must not be empty',
    ],
    [
      'a bad runtime pattern',
      yaml(...ROLES_OK, 'rules:', '  - operations: [stop]', '    runtimes: [prod-*, "a b"]', '    approvals: 0'),
      5,
      24,
      'is not a runtime pattern',
    ],
    [
      'a runtimes mapping',
      yaml(...ROLES_OK, 'rules:', '  - operations: [stop]', '    runtimes: {a: 1}', '    approvals: 0'),
      5,
      15,
      "runtimes must be '*', one name or a list",
    ],
    [
      'an unknown rule key',
      yaml(...ROLES_OK, 'rules:', '  - operations: [stop]', '    runtimes: [a]', '    approval: 1'),
      6,
      5,
      'unknown key "approval"',
    ],
    ['a rule without approvals', yaml(...RULE), 4, 5, 'this rule has no approvals'],
    ['a rule without operations', yaml(...ROLES_OK, 'rules:', '  - runtimes: [a]', '    approvals: 1'), 4, 5, 'has no'],
    [
      'a rule with empty runtimes',
      yaml(...ROLES_OK, 'rules:', '  - operations: [stop]', '    runtimes:', '    approvals: 1'),
      5,
      5,
      'no runtimes',
    ],
    [
      'an unknown approverRole',
      yaml(...RULE, '    approvals: 1', '    approverRole: boss'),
      7,
      19,
      'unknown role "boss"',
    ],
    ['a complex key', yaml('? [a]', ': 1'), 1, 3, 'keys must be plain names'],
    ['an undefined alias', yaml('roles:', '  owner: *nobody'), 2, 10, 'unknown alias *nobody'],
  ])('should report %s with its line and column', (_what, text, line, column, message) => {
    const error = errorOf(text);
    expect(error.message).toContain(message);
    expect([error.line, error.column]).toEqual([line, column]);
    expect(error.message).toMatch(new RegExp(`^the policy line ${line}, column ${column}: `));
  });

  it.each([['11'], ['-1'], ['1.5'], ['one'], ['"1"'], ['[1]'], ['true']])(
    'should refuse approvals: %s with its position',
    (value) => {
      const error = errorOf(yaml(...RULE, `    approvals: ${value}`), 'policy.yaml');
      expect(error.message).toBe('policy.yaml line 6, column 16: approvals must be a whole number from 0 to 10');
      expect([error.line, error.column]).toEqual([6, 16]);
    },
  );

  it.each([
    ['10w', 'a duration such as'],
    ['3600', 'a duration such as'],
    ['24 hours', 'a duration such as'],
    ['-5m', 'a duration such as'],
    ['0m', 'longer than 0'],
    ['31d', 'at most 30d'],
    ['721h', 'at most 30d'],
  ])('should refuse expiresAfter: %s with its position', (value, message) => {
    const error = errorOf(yaml(...RULE, '    approvals: 1', `    expiresAfter: ${value}`));
    expect(error.reason).toContain(message);
    expect([error.line, error.column]).toEqual([7, 19]);
  });

  it.each([[''], ['\n\n'], ['# only a comment\n'], ['{}\n'], ['~\n']])('should call %j an empty policy', (text) => {
    const error = errorOf(text, '/srv/policy.yaml');
    expect(error.message).toBe('policy.yaml: the policy is empty; it needs at least a roles section');
  });

  it('should report a duplicate key at the second occurrence', () => {
    const error = errorOf(yaml('roles:', '  owner: []', '  viewer: []', '  owner: [abc]'));
    expect(error.reason).toBe('the key "owner" appears twice');
    expect([error.line, error.column]).toEqual([4, 3]);
  });

  it.each([
    ['an unclosed flow sequence', yaml('roles:', '  owner: [abc', 'rules: []'), 3, 1],
    ['a tab used as indentation', yaml('roles:', '\towner: []'), 2, 1],
    ['an unclosed quote (reported where the input ends)', yaml('roles:', '  owner: ["abc]'), 3, 1],
    ['two documents', yaml(...ROLES_OK, '---', ...ROLES_OK), 3, 1],
  ])('should report YAML syntax (%s) with line and column', (_what, text, line, column) => {
    const error = errorOf(text);
    expect(error.reason).toMatch(/^the file is not valid YAML: /);
    expect([error.line, error.column]).toEqual([line, column]);
  });
});

describe('parsePolicy with hostile input', () => {
  it('should refuse a file over 1 MB quickly', () => {
    const started = Date.now();
    const error = errorOf(`roles:\n  owner: [abc]\n# ${'x'.repeat(1024 * 1024)}\n`);
    expect(error.reason).toBe('the policy file is larger than 1 MB');
    expect(error.line).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('should count bytes, not characters, against the cap', () => {
    const error = errorOf(`roles:\n  owner: [abc]\n# ${'é'.repeat(600 * 1024)}\n`);
    expect(error.reason).toBe('the policy file is larger than 1 MB');
  });

  it('should read a large honest file just under the cap', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => `    - id-${i}`);
    const text = yaml('roles:', '  viewer:', ...ids);
    expect(Buffer.byteLength(text)).toBeLessThan(1024 * 1024);
    expect(parsePolicy(text).roles.viewer).toHaveLength(20_000);
  });

  const bomb = [
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
    'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
    'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
  ];

  it('should not expand an alias bomb under an unknown key', () => {
    const error = errorOf(yaml('roles:', '  owner: [abc]', ...bomb));
    expect([error.line, error.column]).toEqual([3, 1]);
    expect(error.reason).toBe('unknown key "a"; expected roles, defaultRole, rules');
  });

  it('should not expand an alias bomb used as a list of people', () => {
    const text = yaml(
      'roles:',
      '  owner: &a ["lol","lol"]',
      '  viewer: &b [*a,*a,*a,*a,*a,*a,*a,*a]',
      '  dataScientist: [*b,*b,*b,*b,*b,*b,*b]',
    );
    const error = errorOf(text);
    expect(error.reason).toBe('lol is listed twice under owner');
  });

  it('should refuse more than 100 aliases', () => {
    const text = yaml(
      'roles:',
      '  owner:',
      '    - &x abc',
      ...Array.from({ length: 101 }, () => '  # filler'),
      'rules:',
      ...Array.from({ length: 101 }, () => '  - {operations: [stop], runtimes: [*x], approvals: 0}'),
    );
    const error = errorOf(text);
    expect(error.reason).toBe('the file uses more than 100 aliases');
    expect(error.line).toBe(206); // the 101st alias, in the 101st rule
  });

  it.each([
    ['flow sequences', `roles: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`],
    ['flow mappings', `roles: ${'{a: '.repeat(10_000)}1${'}'.repeat(10_000)}\n`],
    ['block sequences', `roles:\n${'- '.repeat(10_000)}x\n`],
    ['block mappings', `roles:\n${Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i + 1)}a:`).join('\n')}\n`],
  ])('should refuse %s nested 10k deep with a PolicyError', (_what, text) => {
    const started = Date.now();
    const error = errorOf(text);
    expect(error.line).toBeGreaterThan(0);
    expect(error.column).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('should treat __proto__ keys as unknown, without touching prototypes', () => {
    expect(errorOf(yaml('__proto__: {polluted: true}', ...ROLES_OK)).reason).toContain('unknown key "__proto__"');
    expect(errorOf(yaml('roles:', '  __proto__: [abc]')).reason).toContain('unknown role "__proto__"');
    const person = yaml('roles:', '  owner:', '    - {id: abc, __proto__: x}');
    expect(errorOf(person).reason).toContain('unknown key "__proto__"');
    expect(errorOf(yaml('roles: {owner: [__proto__]}')).reason).toContain('"__proto__" is not an Entra object id');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('should keep names in an object without a prototype', () => {
    const policy = parsePolicy(yaml('roles:', '  owner:', '    - {id: constructor, name: C}'));
    expect(policy.names.constructor).toBe('C');
    expect(Object.getPrototypeOf(policy.names)).toBeNull();
    expect(parsePolicy(yaml(...ROLES_OK)).names.toString).toBeUndefined();
  });
});

describe('ruleFor', () => {
  const policy: Policy = parsePolicy(
    yaml(
      ...ROLES_OK,
      'rules:',
      '  - {operations: [reset], runtimes: [chat-*], approvals: 1, expiresAfter: 1h}',
      '  - {operations: [reset, stop], runtimes: [prod-*, "shared-??"], approvals: 2}',
      "  - {operations: '*', runtimes: [prod-*], approvals: 3}",
    ),
  );

  it.each([
    ['reset', 'chat-dev', 1, 4],
    ['stop', 'chat-dev', 0, 0],
    ['reset', 'prod-chat', 2, 5],
    ['stop', 'PROD-CHAT', 2, 5],
    ['upgrade', 'prod-chat', 3, 6],
    ['reset', 'shared-01', 2, 5],
    ['reset', 'shared-001', 0, 0],
    ['reset', 'my-prod-chat', 0, 0],
  ] as const)('should give %s of %s %i approvals (rule on line %i)', (kind, name, approvals, line) => {
    expect(ruleFor(policy, kind, name)).toMatchObject({ approvals, line });
  });

  it('should synthesise a run-at-once rule when nothing matches', () => {
    expect(ruleFor(policy, 'install', 'rag-eval')).toEqual({
      operations: ['install'],
      runtimes: ['*'],
      approvals: 0,
      approverRole: 'owner',
      expiresAfterMs: DEFAULT_EXPIRY_MS,
      line: 0,
    });
  });
});

describe('globMatches', () => {
  it.each([
    ['prod-*', 'prod-chat', true],
    ['prod-*', 'prod-', true],
    ['prod-*', 'Prod-Chat', true],
    ['PROD-*', 'prod-chat', true],
    ['prod-*', 'my-prod-chat', false],
    ['prod-*', 'prod', false],
    ['*-dev', 'chat-dev', true],
    ['*-dev', 'chat-dev2', false],
    ['*', '', true],
    ['*', 'anything', true],
    ['', '', true],
    ['', 'a', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a?c', 'abbc', false],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
    ['**', 'x', true],
    ['a.b', 'aXb', false],
    ['a+', 'aa', false],
    ['*a*a*a*a*a*b', 'a'.repeat(5000), false],
  ])('should match %j against %j → %s', (pattern, name, expected) => {
    expect(globMatches(pattern, name)).toBe(expected);
  });
});

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['30m', 30 * MIN],
    ['24h', 24 * HOUR],
    ['7d', 7 * 24 * HOUR],
    [' 4h ', 4 * HOUR],
    ['5 m', 5 * MIN],
    ['4H', undefined],
    ['1.5h', undefined],
    ['h', undefined],
    ['', undefined],
  ])('should parse %j as %s ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['90s', 90_000],
    ['30m', 30 * MIN],
    ['4h', 4 * HOUR],
    ['30d', 30 * 24 * HOUR],
  ])('should read expiresAfter: %s', (text, ms) => {
    const policy = parsePolicy(yaml(...RULE, '    approvals: 1', `    expiresAfter: ${text}`));
    expect(policy.rules[0].expiresAfterMs).toBe(ms);
  });

  it.each([
    [90_000, '90s'],
    [90 * MIN, '90m'],
    [4 * HOUR, '4h'],
    [48 * HOUR, '2d'],
  ])('should format %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
