import { describe, expect, it } from 'vitest';
import {
  editDistance,
  MAX_MESSAGE_LENGTH,
  normalizeChatText,
  type ParsedCommand,
  parseCommand,
  stripMentions,
  suggest,
} from '../../../src/core/commands/parse';

function parsed(text: string): ParsedCommand {
  const result = parseCommand(text);
  if (!result.ok) throw new Error(`expected ok, got: ${result.error}`);
  return result.command;
}

type Expected = Partial<Omit<ParsedCommand, 'flags'>> & { flags?: Record<string, string | true> };

function expectCommand(text: string, expected: Expected): void {
  const command = parsed(text);
  const { flags, ...rest } = expected;
  expect(command).toMatchObject(rest);
  if (flags) expect({ ...command.flags }).toEqual(flags);
}

describe('stripMentions', () => {
  it.each([
    ['<at>Runtime Bot</at> status', 'status'],
    ['<at id="0">Runtime Bot</at> runtime status rt-a', 'runtime status rt-a'],
    ['status <at>Alice</at> and <at>Bob</at>', 'status  and'],
    ['<AT>Bot</AT>list', 'list'],
    ['no mentions here', 'no mentions here'],
    ['<at>unterminated status', 'unterminated status'],
    ['stray </at> close', 'stray  close'],
  ])('should strip mentions from %j', (input, expected) => {
    expect(stripMentions(input)).toBe(expected);
  });
});

describe('normalizeChatText', () => {
  it.each([
    ['<p>runtime status</p>', 'runtime status'],
    ['<div><div>runtime status</div></div>', 'runtime status'],
    ['<p>install</p><p>pandas==2.0</p>\n<p>numpy</p>', 'install\npandas==2.0\nnumpy'],
    ['install<br>a<br/>b<br />c', 'install\na\nb\nc'],
    ['a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39; &apos;f&apos;', "a & b <c> \"d\" 'e' 'f'"],
    ['status&nbsp;rt-a', 'status rt-a'],
    ['status\u00a0rt-a', 'status rt-a'],
    ['&amp;lt; stays encoded once', '&lt; stays encoded once'],
    ['<span>status</span> <strong>rt-a</strong>', 'status rt-a'],
    ['\u201cquoted\u201d \u2018single\u2019', '"quoted" \'single\''],
    ['a\u0000b\u0007c\td\r\ne', 'abc\td\ne'],
    ['pandas<2.0', 'pandas<2.0'],
    ['  \n status \n ', 'status'],
  ])('should normalize %j', (input, expected) => {
    expect(normalizeChatText(input)).toBe(expected);
  });
});

describe('parseCommand', () => {
  it.each<[string, string, Expected]>([
    ['plain verb', 'status', { verb: 'status', args: [], flags: {}, prefixed: false, rest: '' }],
    ['plain verb with args', 'status rt-a', { verb: 'status', args: ['rt-a'], prefixed: false }],
    ['prefixed verb', 'runtime status rt-a', { verb: 'status', args: ['rt-a'], prefixed: true }],
    ['upper-case prefix and verb', 'RUNTIME Status RT-A', { verb: 'status', args: ['RT-A'], prefixed: true }],
    ['prefix alone', 'runtime', { verb: '', args: [], prefixed: true, rest: '' }],
    ['session prefix', 'session status chat-dev', { verb: 'status', args: ['chat-dev'], prefixed: true }],
    ['upper-case session prefix', 'SESSION Create rt-a', { verb: 'create', args: ['rt-a'], prefixed: true }],
    ['session prefix alone', 'session', { verb: '', args: [], prefixed: true, rest: '' }],
    ['session as an argument', 'list session', { verb: 'list', args: ['session'], prefixed: false }],
    ['quoted session prefix', '"session" status', { verb: 'session', args: ['status'], prefixed: false }],
    ['empty message', '', { verb: '', args: [], prefixed: false, rest: '' }],
    ['whitespace only', '  \n\t ', { verb: '', args: [] }],
    ['channel mention', '<at>Bot</at> runtime status rt-a', { verb: 'status', args: ['rt-a'], prefixed: true }],
    ['mention with id', '<at id="0">Runtime Bot</at> list', { verb: 'list', prefixed: false }],
    ['mentions everywhere', '<at>A</at>status <at>B</at> rt-a <at>C</at>', { verb: 'status', args: ['rt-a'] }],
    ['HTML wrapped', '<p><at>Bot</at>&nbsp;runtime stop rt-a</p>', { verb: 'stop', args: ['rt-a'], prefixed: true }],
    ['entity in value', 'create rt-a --description "R&amp;D"', { flags: { description: 'R&D' } }],
    [
      'flag value',
      'create rt-a --vm-size Standard_E4s_v3',
      { args: ['rt-a'], flags: { 'vm-size': 'Standard_E4s_v3' } },
    ],
    ['= form', 'create rt-a --vm-size=Standard_E4s_v3', { flags: { 'vm-size': 'Standard_E4s_v3' } }],
    ['empty = value', 'create --description=', { flags: { description: '' } }],
    ['= inside value', 'set --env=A=B', { flags: { env: 'A=B' } }],
    ['upper-case flag key', 'create --VM-Size Big', { flags: { 'vm-size': 'Big' } }],
    ['em dash flag', 'create rt-a \u2014vm-size X', { args: ['rt-a'], flags: { 'vm-size': 'X' } }],
    ['en dash flag', 'create rt-a \u2013vm-size X', { args: ['rt-a'], flags: { 'vm-size': 'X' } }],
    ['double em dash flag', 'create \u2014\u2014force', { flags: { force: true } }],
    ['em dash = form', 'create \u2014idle=30', { flags: { idle: '30' } }],
    ['em dash in prose', 'create --description "a \u2014 b"', { flags: { description: 'a \u2014 b' } }],
    ['double-quoted arg', 'create "my runtime"', { args: ['my runtime'] }],
    ['single-quoted arg', "create 'my runtime'", { args: ['my runtime'] }],
    [
      'quoted flag value',
      'create --description "my runtime" rt-a',
      { args: ['rt-a'], flags: { description: 'my runtime' } },
    ],
    ['quoted = value', 'create --description="my runtime"', { flags: { description: 'my runtime' } }],
    ['single-quoted = value', "create --description='my runtime'", { flags: { description: 'my runtime' } }],
    ['escaped quote', 'create --description "say \\"hi\\""', { flags: { description: 'say "hi"' } }],
    ['escaped backslash', 'create "a\\\\"', { args: ['a\\'] }],
    ['Windows path kept', 'upload C:\\temp\\x.txt "C:\\dir"', { args: ['C:\\temp\\x.txt', 'C:\\dir'] }],
    ['curly double quotes', 'create --description \u201cmy runtime\u201d', { flags: { description: 'my runtime' } }],
    ['curly single quotes', 'create \u2018my runtime\u2019', { args: ['my runtime'] }],
    [
      'apostrophe inside a word',
      "create --description don't panic",
      { flags: { description: "don't" }, args: ['panic'] },
    ],
    ['empty quotes', 'create "" rt-a', { args: ['', 'rt-a'] }],
    ['quotes glued to text', 'create "a b"c', { args: ['a bc'] }],
    ['quoted flag-like arg', 'create "--force"', { args: ['--force'], flags: {} }],
    ['quoted verb', '"Status" rt-a', { verb: 'status', args: ['rt-a'] }],
    ['boolean at end', 'delete rt-a --force', { args: ['rt-a'], flags: { force: true } }],
    ['boolean before flag', 'delete --force --wait 5', { flags: { force: true, wait: '5' } }],
    [
      'boolean at end of line',
      'install rt-a --restart\npandas',
      { args: ['rt-a', 'pandas'], flags: { restart: true } },
    ],
    ['quoted value spanning lines', 'create --d "line 1\nline 2"', { flags: { d: 'line 1\nline 2' } }],
    ['short flag', 'logs rt-a -n 50', { args: ['rt-a'], flags: { n: '50' } }],
    ['short boolean', 'logs -f', { flags: { f: true } }],
    ['-- terminator', 'run -- --not-a-flag -x', { args: ['--not-a-flag', '-x'], flags: {} }],
    ['boolean before --', 'run --dry-run -- a', { args: ['a'], flags: { 'dry-run': true } }],
    ['em dash terminator', 'run \u2014 --x', { args: ['--x'], flags: {} }],
    ['negative value', 'update --idle -5', { flags: { idle: '-5' } }],
    ['negative decimal', 'update --delta -0.5', { flags: { delta: '-0.5' } }],
    ['negative positional', 'scale -3', { args: ['-3'], flags: {} }],
    ['lone dash', 'cat -', { args: ['-'] }],
    ['repeated flag', 'create --idle 5 --idle 10', { flags: { idle: '10' } }],
    ['repeated mixed forms', 'create --idle=5 --idle', { flags: { idle: true } }],
    [
      'case preserved',
      'create MyRuntime --Description "Big GPU"',
      { args: ['MyRuntime'], flags: { description: 'Big GPU' } },
    ],
    ['leading flag', 'runtime --help', { verb: '', flags: { help: true }, prefixed: true }],
    ['runtime as an argument', 'status runtime', { verb: 'status', args: ['runtime'], prefixed: false }],
    ['quoted prefix', '"runtime" status', { verb: 'runtime', args: ['status'], prefixed: false }],
    ['${} kept literally', 'create ${HOME} --d "${x}"', { args: ['${HOME}'], flags: { d: '${x}' } }],
    [
      'emoji',
      'create \u{1F680}rocket --d "\u{1F468}\u200D\u{1F4BB}"',
      { args: ['\u{1F680}rocket'], flags: { d: '\u{1F468}\u200D\u{1F4BB}' } },
    ],
    [
      'right-to-left text',
      'create \u05E9\u05DC\u05D5\u05DD --d "\u0645\u0631\u062D\u0628\u0627"',
      { args: ['\u05E9\u05DC\u05D5\u05DD'], flags: { d: '\u0645\u0631\u062D\u0628\u0627' } },
    ],
    ['unicode flag name', 'create --größe 5', { flags: { größe: '5' } }],
    ['control characters dropped', 'sta\u0000tus\u0007 rt\u001b-a', { verb: 'status', args: ['rt-a'] }],
    ['tabs separate', 'status\trt-a', { verb: 'status', args: ['rt-a'] }],
    ['prototype-ish flags', 'x --constructor a --toString', { flags: { constructor: 'a', tostring: true } }],
  ])('should parse %s', (_name, input, expected) => {
    expectCommand(input, expected);
  });

  it.each<[string, string, string]>([
    ['keeps line breaks', 'install\npandas==2.0\nnumpy>=1.26', 'pandas==2.0\nnumpy>=1.26'],
    ['keeps case and spacing', 'runtime install rt-a\n  MyPkg[Extra] == 1.0', 'rt-a\n  MyPkg[Extra] == 1.0'],
    [
      'from Teams paragraphs',
      '<p><at>Bot</at> runtime install rt-a</p><p>pandas&gt;=2.0</p><p>numpy</p>',
      'rt-a\npandas>=2.0\nnumpy',
    ],
    ['from Teams line breaks', 'install rt-a<br>pandas<br/>numpy', 'rt-a\npandas\nnumpy'],
    ['with CRLF', 'install\r\npandas\r\nnumpy', 'pandas\nnumpy'],
    ['with flags', 'install rt-a --restart\npandas', 'rt-a --restart\npandas'],
    ['after a leading flag', 'runtime --help me', '--help me'],
  ])('should expose rest that %s', (_name, input, rest) => {
    expect(parsed(input).rest).toBe(rest);
  });

  it('should still parse args and flags of multi-line install text', () => {
    expectCommand('install rt-a --restart\npandas==2.0\nnumpy', {
      verb: 'install',
      args: ['rt-a', 'pandas==2.0', 'numpy'],
      flags: { restart: true },
    });
  });

  it.each([
    ['create "my runtime', 'Unterminated quote in: "my runtime'],
    ["create 'my runtime", "Unterminated quote in: 'my runtime"],
    ['create --description="oops', 'Unterminated quote in: --description="oops'],
    ['create "a \\"', 'Unterminated quote in: "a \\"'],
    ['create \u201cmy runtime', 'Unterminated quote in: "my runtime'],
  ])('should reject the unterminated quote in %j', (input, error) => {
    expect(parseCommand(input)).toEqual({ ok: false, error });
  });

  describe('feed tokens', () => {
    const TOKEN = 'tok_9QzK2mWvB4nLs8';
    it.each([
      ['an unterminated quote', `install chat-dev "-i https://${TOKEN}@pkgs.example.com/simple numpy`],
      [
        'an unterminated quote after a long run',
        `install chat-dev "${'x'.repeat(40)} https://${TOKEN}@pkgs.example.com/simple`,
      ],
      ['a token repeated before the quote', `install chat-dev -i https://${TOKEN}@h.example/simple\n"${TOKEN}`],
    ])('should mask the token in the error about %s', (_what, text) => {
      const result = parseCommand(text);
      expect(result.ok).toBe(false);
      expect(JSON.stringify(result)).not.toContain(TOKEN);
      expect(JSON.stringify(result)).not.toContain(TOKEN.slice(0, 6));
    });

    it.each([
      [`status https://${TOKEN}@pkgs.example.com/simple`],
      [`help https://user:${TOKEN}@pkgs.example.com`],
      [`https://${TOKEN}@pkgs.example.com/simple`],
      [`create rt-a --description "feed https://${TOKEN}@pkgs.example.com"`],
      [`create rt-a --description="https://${TOKEN}@pkgs.example.com"`],
      [`install chat-dev -i ${TOKEN}@pkgs.example.com/simple numpy`],
      [`install chat-dev --trusted-host ${TOKEN}@pkgs.example.com numpy`],
      [`install chat-dev --index-url=${TOKEN}@pkgs.example.com/simple numpy`],
      [`update chat-dev --https://${TOKEN}@x.example=1`],
    ])('should mask the token in the verb, args and flags of %j', (text) => {
      const result = parseCommand(text);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      const { rest: _raw, ...echoed } = result.command;
      expect(JSON.stringify(echoed).toLowerCase()).not.toContain(TOKEN.toLowerCase()); // verbs and flags are lower-cased
    });

    it('should keep the raw text in rest, for the requirement lines that need the token', () => {
      const result = parseCommand(`install chat-dev -i https://${TOKEN}@pkgs.example.com/simple numpy`);
      expect(result.ok && result.command.rest).toBe(`chat-dev -i https://${TOKEN}@pkgs.example.com/simple numpy`);
    });
  });

  it('should echo at most about 60 characters of an unterminated quote', () => {
    const result = parseCommand(`create "${'x'.repeat(500)}`);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toBe(`Unterminated quote in: "${'x'.repeat(59)}…`);
      expect(result.error.length).toBeLessThan(100);
    }
  });

  it.each([
    ['plain', 'a'.repeat(MAX_MESSAGE_LENGTH + 1), MAX_MESSAGE_LENGTH + 1],
    ['after stripping mentions', `<at>Bot</at>${'b'.repeat(MAX_MESSAGE_LENGTH + 5)}`, MAX_MESSAGE_LENGTH + 5],
  ])('should reject a message that is too long (%s)', (_name, input, length) => {
    expect(parseCommand(input)).toEqual({
      ok: false,
      error: `The message is too long (${length} characters); the limit is 20000.`,
    });
  });

  it('should accept a message of exactly the limit once mentions are stripped', () => {
    const text = `<at>Bot</at>status ${'a'.repeat(MAX_MESSAGE_LENGTH - 7)}`;
    expect(parseCommand(text).ok).toBe(true);
  });

  const hundredKb = 100 * 1024;
  const hostile: [string, string][] = [
    ['double quotes', '"'.repeat(hundredKb)],
    ['single quotes', "'".repeat(hundredKb)],
    ['spaced quotes', '" '.repeat(hundredKb / 2)],
    ['dashes', '--'.repeat(hundredKb / 2)],
    ['spaced dashes', '-- '.repeat(hundredKb / 3)],
    ['flags', '--a '.repeat(hundredKb / 4)],
    ['mentions', '<at>'.repeat(hundredKb / 4)],
    ['closed mentions', '<at>x</at>'.repeat(hundredKb / 10)],
    ['tags without end', '<p '.repeat(hundredKb / 3)],
    ['br with spaces', `<br${' '.repeat(hundredKb)}`],
    ['entities', '&amp;'.repeat(hundredKb / 5)],
    ['NUL characters', '\u0000'.repeat(hundredKb)],
    ['backslashes in quotes', `"${'\\'.repeat(hundredKb)}`],
    ['escaped quotes', `"${'\\"'.repeat(hundredKb / 2)}`],
    ['em dashes', '\u2014'.repeat(hundredKb)],
    ['emoji', '\u{1F680}'.repeat(hundredKb / 2)],
    ['${} strings', '${x} '.repeat(hundredKb / 5)],
    ['newlines', '\n'.repeat(hundredKb)],
  ];

  it.each(hostile)('should not throw and should be fast on 100 KB of %s', (_name, input) => {
    const started = performance.now();
    expect(() => parseCommand(input)).not.toThrow();
    expect(() => parseCommand(input.slice(0, MAX_MESSAGE_LENGTH - 1))).not.toThrow();
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it.each(hostile)('should return a result for just under the limit of %s', (_name, input) => {
    const result = parseCommand(input.slice(0, MAX_MESSAGE_LENGTH - 1));
    expect(typeof result.ok).toBe('boolean');
  });

  it('should handle thousands of balanced quoted arguments quickly', () => {
    const text = `create ${'"a b" '.repeat(3000)}`;
    const started = performance.now();
    const command = parsed(text);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(command.args).toHaveLength(3000);
    expect(command.args[0]).toBe('a b');
  });

  it.each([undefined, null, 42])('should not throw on a non-string input %j', (input) => {
    expect(parseCommand(input as unknown as string)).toMatchObject({ ok: true, command: { verb: '' } });
  });
});

describe('suggest', () => {
  const verbs = ['status', 'start', 'stop', 'create', 'delete', 'install', 'list', 'logs', 'help'];

  it.each<[string, string | undefined]>([
    ['status', 'status'],
    ['STATUS', 'status'],
    ['stauts', 'status'],
    ['statsu', 'status'],
    ['stats', 'status'],
    ['creat', 'create'],
    ['craete', 'create'],
    ['delte', 'delete'],
    ['instal', 'install'],
    ['insta', 'install'],
    ['lsit', 'list'],
    ['hlep', 'help'],
    ['sto', 'stop'],
    ['de', 'delete'],
    ['xyzzy', undefined],
    ['banana', undefined],
    ['', undefined],
    ['s', undefined],
    ['a'.repeat(20_000), undefined],
  ])('should suggest for %j → %j', (word, expected) => {
    expect(suggest(word, verbs)).toBe(expected);
  });

  it('should return the candidate as spelled in the list', () => {
    expect(suggest('vmsize', ['VM-Size', 'idle'])).toBe('VM-Size');
  });

  it('should return undefined for no candidates', () => {
    expect(suggest('status', [])).toBeUndefined();
  });

  it.each([
    ['', '', 0],
    ['abc', 'abc', 0],
    ['abc', 'acb', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
  ])('should measure the edit distance of %j and %j', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });
});
