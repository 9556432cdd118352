import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  MAX_LINE_LENGTH,
  normalizeName,
  type ParsedRequirements,
  parseRequirements,
  type RequirementLine,
  redactedRequirementsText,
  requirementsFingerprint,
} from '../../src/domain/requirements';
import { REDACTED } from '../../src/domain/secrets';
import { growth, linearBound } from '../helpers/growth';

const TOKEN = 'pat7x9QzK2mWvB4nLs8RtY3u';
const FEED = 'pkgs.dev.azure.com/contoso/_packaging/ml-feed/pypi/simple/';

/** Parses a single line that must be valid and returns its entry. */
function only(text: string): RequirementLine {
  const result = parseRequirements(text);
  expect(result.errors).toEqual([]);
  expect(result.lines).toHaveLength(1);
  return result.lines[0];
}

function errorsOf(text: string): string[] {
  return parseRequirements(text).errors.map((e) => e.message);
}

function expectNoToken(result: ParsedRequirements, token = TOKEN): void {
  expect(JSON.stringify(result)).not.toContain(token);
  expect(redactedRequirementsText(result)).not.toContain(token);
}

describe('parseRequirements: valid package lines', () => {
  it.each<[string, Partial<RequirementLine>]>([
    ['numpy', { name: 'numpy', specifier: '' }],
    ['NumPy==1.26.4', { name: 'numpy', specifier: '==1.26.4' }],
    ['Foo_Bar.baz >= 1.0 , < 2', { name: 'foo-bar-baz', specifier: '>=1.0,<2' }],
    ['a__-._b', { name: 'a-b' }],
    ['x', { name: 'x' }],
    ['requests[Security, socks_proxy]>=2.31', { name: 'requests', extras: ['security', 'socks-proxy'] }],
    ['pkg[]', { name: 'pkg', extras: [] }],
    ['pkg==1.0.0rc1', { specifier: '==1.0.0rc1' }],
    ['pkg==2.*', { specifier: '==2.*' }],
    ['pkg!=2.1.*', { specifier: '!=2.1.*' }],
    ['pkg~=1.4.2', { specifier: '~=1.4.2' }],
    ['pkg===1.0-weird_local', { specifier: '===1.0-weird_local' }],
    ['pkg==1!2.0.post1.dev2+abc.1', { specifier: '==1!2.0.post1.dev2+abc.1' }],
    ['pkg>1,<=2b3,!=1.5a1', { specifier: '>1,<=2b3,!=1.5a1' }],
    ['pkg (>=1.0)', { specifier: '>=1.0' }],
    ['pkg; python_version < "3.11"', { name: 'pkg', specifier: '', marker: 'python_version < "3.11"' }],
    ['pkg>=1 ; sys_platform == "linux"', { specifier: '>=1', marker: 'sys_platform == "linux"' }],
    [
      'pkg @ https://example.com/pkg-1.0-py3-none-any.whl',
      { name: 'pkg', specifier: '', url: 'https://example.com/pkg-1.0-py3-none-any.whl' },
    ],
    ['pkg@https://example.com/x.whl', { name: 'pkg', url: 'https://example.com/x.whl' }],
    [
      'pkg[extra] @ https://example.com/x.whl ; python_version >= "3.9"',
      { extras: ['extra'], url: 'https://example.com/x.whl', marker: 'python_version >= "3.9"' },
    ],
    ['pkg @ git+https://github.com/org/pkg@v1.0', { url: 'git+https://github.com/org/pkg@v1.0' }],
    ['pkg==1.0 --hash=sha256:0123abcd', { name: 'pkg', specifier: '==1.0' }],
    ['pkg==1.0 --hash sha256:0123abcd --hash=sha512:ff', { name: 'pkg', specifier: '==1.0' }],
    ['  numpy==1.0   # pinned for the CUDA build', { name: 'numpy', specifier: '==1.0' }],
    ['\tnumpy == 1.0\t', { name: 'numpy', specifier: '==1.0' }],
  ])('should parse %j as a package', (text, expected) => {
    const line = only(text);
    expect(line).toMatchObject({ line: 1, kind: 'package', text, ...expected });
  });

  it('should leave marker, extras and url undefined when absent', () => {
    const line = only('numpy==1.0');
    expect(line.marker).toBeUndefined();
    expect(line.extras).toBeUndefined();
    expect(line.url).toBeUndefined();
    expect(line.privateFeed).toBe(false);
  });

  it('should keep a # that is not preceded by whitespace (a URL fragment)', () => {
    expect(only('pkg @ https://example.com/x.whl#sha256=abc').url).toBe('https://example.com/x.whl#sha256=abc');
  });
});

describe('parseRequirements: option, comment and blank lines', () => {
  it.each<[string, Partial<RequirementLine>]>([
    ['-i https://pypi.org/simple', { kind: 'index', option: '--index-url', indexUrl: 'https://pypi.org/simple' }],
    [`--index-url https://${FEED}`, { kind: 'index', option: '--index-url', indexUrl: `https://${FEED}` }],
    [`--index-url=https://${FEED}`, { kind: 'index', option: '--index-url', indexUrl: `https://${FEED}` }],
    ['-ihttps://pypi.org/simple', { kind: 'index', option: '--index-url', indexUrl: 'https://pypi.org/simple' }],
    ['--extra-index-url http://10.0.0.4:8080/simple', { kind: 'index', option: '--extra-index-url' }],
    ['-f https://download.pytorch.org/whl/torch_stable.html', { kind: 'index', option: '--find-links' }],
    ['--find-links=https://example.com/wheels/', { kind: 'index', option: '--find-links' }],
    ['--trusted-host pkgs.dev.azure.com', { kind: 'option', option: '--trusted-host' }],
    ['--trusted-host=10.0.0.4:8080', { kind: 'option', option: '--trusted-host' }],
    ['--pre', { kind: 'option', option: '--pre' }],
    ['--prefer-binary   # faster', { kind: 'option', option: '--prefer-binary' }],
    ['--no-binary :all:', { kind: 'option', option: '--no-binary' }],
    ['--only-binary=numpy,scipy', { kind: 'option', option: '--only-binary' }],
    ['# just a comment', { kind: 'comment' }],
    ['   # indented comment', { kind: 'comment' }],
    ['   \t', { kind: 'blank' }],
  ])('should parse %j', (text, expected) => {
    expect(only(text)).toMatchObject({ line: 1, text, ...expected });
  });

  it('should list only valid package lines in packages', () => {
    const result = parseRequirements('# c\n-i https://pypi.org/simple\nnumpy\n\nfoo bar\npandas==2.0');
    expect(result.packages.map((p) => p.name)).toEqual(['numpy', 'pandas']);
    expect(result.lines.map((l) => l.kind)).toEqual(['comment', 'index', 'package', 'blank', 'package', 'package']);
  });

  it('should return nothing for empty input and ignore one trailing newline', () => {
    expect(parseRequirements('')).toEqual({ lines: [], packages: [], errors: [], warnings: [] });
    expect(parseRequirements('numpy\n').lines).toHaveLength(1);
  });
});

describe('parseRequirements: errors', () => {
  const local = (what: string) =>
    `line 1: local wheels and paths are not supported ("${what}"); publish the package to a feed`;

  it.each<[string, string]>([
    ['numpy===', 'line 1: "numpy===" has an operator but no version'],
    ['numpy>= ', 'line 1: "numpy>=" has an operator but no version'],
    [
      '-r base.txt',
      'line 1: "-r base.txt" includes another file, which cannot be resolved here; paste its lines instead',
    ],
    [
      '--requirement=base.txt',
      'line 1: "--requirement=base.txt" includes another file, which cannot be resolved here; paste its lines instead',
    ],
    [
      '-c constraints.txt',
      'line 1: "-c constraints.txt" includes a constraints file, which cannot be resolved here; paste the pins you need as requirements instead',
    ],
    ['./dist/pkg.whl', local('./dist/pkg.whl')],
    ['/abs/path/pkg', local('/abs/path/pkg')],
    ['dist/pkg-1.0.tar.gz', local('dist/pkg-1.0.tar.gz')],
    ['pkg-1.0-py3-none-any.whl', local('pkg-1.0-py3-none-any.whl')],
    ['C:\\wheels\\pkg.whl', local('C:\\wheels\\pkg.whl')],
    ['~/src/pkg', local('~/src/pkg')],
    ['.', local('.')],
    ['file:///tmp/pkg.whl', local('file:///tmp/pkg.whl')],
    ['pkg @ file:///tmp/pkg.whl', local('file:///tmp/pkg.whl')],
    ['pkg @ ./pkg.whl', local('./pkg.whl')],
    ['-e .', local('-e .')],
    ['--editable=./src', local('--editable=./src')],
    ['-f ./wheels', local('./wheels')],
    ['-i /srv/simple', local('/srv/simple')],
    [
      '-e git+https://github.com/org/repo#egg=repo',
      'line 1: editable installs are not supported ("-e git+https://github.com/org/repo#egg=repo"); install a released version instead',
    ],
    ['foo bar', 'line 1: "foo bar" is not a valid requirement'],
    ['foo- ==1', 'line 1: "foo- ==1" is not a valid requirement'],
    ['foo>=1 <2', 'line 1: "foo>=1 <2" has an invalid version "1 <2"'],
    ['foo==1.0.x', 'line 1: "foo==1.0.x" has an invalid version "1.0.x"'],
    ['foo==1.*.2', 'line 1: "foo==1.*.2" has an invalid version "1.*.2"'],
    ['foo>=2.*', 'line 1: "foo>=2.*" uses a wildcard, which only works with == and !='],
    ['foo 1.0', 'line 1: "foo 1.0" needs an operator before the version, e.g. "==1.0"'],
    ['foo=1.0', 'line 1: "foo=1.0" uses "="; use "==" to pin a version'],
    ['foo>=1,', 'line 1: "foo>=1," has an empty version specifier; check the commas'],
    ['foo[bar', 'line 1: "foo[bar" has an unclosed "["'],
    ['foo[b@r]', 'line 1: "foo[b@r]" has an invalid extra'],
    ['foo;', 'line 1: "foo;" has ";" but no environment marker after it'],
    ['foo @', 'line 1: "foo @" has "@" but no URL'],
    ['foo @ ftp://example.com/x.whl', 'line 1: "foo @ ftp://example.com/x.whl" needs an https URL after "@"'],
    ['foo @ https://x.whl junk', 'line 1: "foo @ https://x.whl junk" is not a valid requirement'],
    [
      'https://example.com/pkg.whl',
      'line 1: "https://example.com/pkg.whl" needs a package name; write it as "name @ https://example.com/pkg.whl"',
    ],
    ['--foo', 'line 1: pip option --foo is not supported here'],
    ['--no-index', 'line 1: pip option --no-index is not supported here'],
    ['--constructor', 'line 1: pip option --constructor is not supported here'],
    ['--__proto__=x', 'line 1: pip option --__proto__ is not supported here'],
    ['foo==1.0 --global-option=x', 'line 1: pip option --global-option is not supported here'],
    ['foo==1.0 --hash=md5:abc', 'line 1: "foo==1.0 --hash=md5:abc": --hash needs a value like sha256:<hex digest>'],
    ['foo==1.0 --hash', 'line 1: "foo==1.0 --hash": --hash needs a value like sha256:<hex digest>'],
    ['-i', 'line 1: -i needs a URL'],
    ['--trusted-host', 'line 1: --trusted-host needs a host name'],
    ['-i ftp://example.com/simple', 'line 1: -i needs an http(s) URL, got "ftp://example.com/simple"'],
    ['--index-url pkgs.example.com', 'line 1: --index-url needs an http(s) URL, got "pkgs.example.com"'],
    ['-i https:///simple', 'line 1: "-i https:///simple" has no valid host name in its URL'],
    ['--pre foo', 'line 1: "--pre foo" has unexpected text after --pre; put each option on its own line'],
    ['--pre=1', 'line 1: "--pre=1" has unexpected text after --pre; put each option on its own line'],
    [
      '-i https://pypi.org/simple --trusted-host x',
      'line 1: "-i https://pypi.org/simple --trusted-host x" has unexpected text after --index-url; put each option on its own line',
    ],
    ['--trusted-host https://x/', 'line 1: --trusted-host needs a host name, got "https://x/"'],
    [
      '--only-binary a b',
      'line 1: "--only-binary a b" has unexpected text after --only-binary; put each option on its own line',
    ],
    ['--no-binary=-x', 'line 1: --no-binary needs :all:, :none: or package names, got "-x"'],
  ])('should reject %j', (text, message) => {
    const result = parseRequirements(text);
    expect(result.errors).toEqual([{ line: 1, message }]);
    expect(result.lines[0].error).toBe(message);
    expect(result.packages).toEqual([]);
  });

  it('should report the 1-based line number of each bad line', () => {
    const result = parseRequirements('numpy\n\n-r base.txt\n# ok\nfoo bar\npandas');
    expect(result.errors.map((e) => e.line)).toEqual([3, 5]);
    expect(result.errors[1].message).toBe('line 5: "foo bar" is not a valid requirement');
    expect(result.packages.map((p) => p.name)).toEqual(['numpy', 'pandas']);
  });

  it('should keep an errored line in lines without parsed fields', () => {
    const [line] = parseRequirements('numpy==1.0 --global-option=x').lines;
    expect(line).toEqual({
      line: 1,
      text: 'numpy==1.0 --global-option=x',
      kind: 'package',
      error: 'line 1: pip option --global-option is not supported here',
    });
  });

  it('should shorten a long quoted line in a message', () => {
    const text = `pkg==${'1.'.repeat(100)}x`;
    const [message] = errorsOf(text);
    expect(message.length).toBeLessThan(200);
    expect(message).toContain('…');
  });
});

describe('parseRequirements: promptflow pins', () => {
  it.each([
    ['promptflow==1.2.0', 'promptflow'],
    ['promptflow-tools>=1.0', 'promptflow-tools'],
    ['PromptFlow_Tools~=1.4', 'promptflow-tools'],
    ['promptflow[azure]==1.2', 'promptflow'],
    ['promptflow<2; python_version >= "3.9"', 'promptflow'],
    ['promptflow @ https://example.com/promptflow-1.0-py3-none-any.whl', 'promptflow'],
  ])('should warn when %j pins %s', (text, name) => {
    const result = parseRequirements(`numpy\n${text}`);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0].line).toBe(2);
    expect(result.warnings[0].message).toContain(`line 2: "${text.slice(0, 79)}`);
    expect(result.warnings[0].message).toContain(`pins ${name}, which the base image provides`);
  });

  it('should word the pin warning for the user', () => {
    expect(parseRequirements('promptflow==1.2.0').warnings).toEqual([
      {
        line: 1,
        message:
          'line 1: "promptflow==1.2.0" pins promptflow, which the base image provides; remove the version to keep its copy',
      },
    ]);
  });

  it.each([
    'promptflow',
    'promptflow-tools',
    'promptflow[azure]',
    'promptflow; python_version > "3.8"',
    'promptflow-core==1.0',
  ])('should not warn for %j', (text) => {
    expect(parseRequirements(text)).toMatchObject({ errors: [], warnings: [] });
  });

  it('should not warn for a line that is already an error', () => {
    const result = parseRequirements('promptflow==1.0 --global-option=x');
    expect(result.warnings).toEqual([]);
    expect(result.errors).toHaveLength(1);
  });
});

describe('parseRequirements: privateFeed', () => {
  const feedsOf = (text: string) => parseRequirements(text).lines.map((l) => l.privateFeed);

  it('should turn on for packages after an index line with credentials', () => {
    const text = [
      'numpy',
      '-i https://pypi.org/simple',
      'requests',
      `--extra-index-url https://${TOKEN}@${FEED}`,
      'pandas',
      '# trailing comment',
      'scipy',
    ].join('\n');
    expect(feedsOf(text)).toEqual([false, false, false, true, true, undefined, true]);
  });

  it.each([
    ['--extra-index-url https://download.pytorch.org/whl/cu118', false],
    [`--index-url https://${FEED}`, false],
    ['-f https://example.com/wheels/', false],
    ['--index-url https://test.pypi.org/simple', false],
    ['--index-url https://PyPI.org:443/simple', false],
  ])('should count %j (privateFeed %s) as a private source only if it is not PyPI', (index, own) => {
    const result = parseRequirements(`${index}\ntorch`);
    expect(result.lines[0].privateFeed).toBe(own);
    expect(result.lines[1].privateFeed).toBe(!/pypi\.org/i.test(index));
  });

  it('should mark a direct reference that carries credentials', () => {
    const result = parseRequirements(`pkg @ https://user:${TOKEN}@example.com/pkg.whl\nnumpy`);
    expect(result.lines.map((l) => l.privateFeed)).toEqual([true, false]);
  });

  it('should ignore an index line that is an error', () => {
    expect(feedsOf(`-i ftp://${TOKEN}@example.com/simple\nnumpy`)).toEqual([undefined, false]);
  });

  it('should leave comment, blank and plain option lines unset', () => {
    expect(feedsOf('# c\n\n--pre')).toEqual([undefined, undefined, undefined]);
  });
});

describe('parseRequirements: secrets', () => {
  it('should redact the token in an index line and every later field', () => {
    const result = parseRequirements(`-i https://${TOKEN}@${FEED}\nnumpy==1.0`);
    expectNoToken(result);
    expect(result.lines[0]).toMatchObject({
      kind: 'index',
      text: `-i https://${REDACTED}@${FEED}`,
      indexUrl: `https://${REDACTED}@${FEED}`,
      privateFeed: true,
    });
    expect(redactedRequirementsText(result)).toBe(`-i https://${REDACTED}@${FEED}\nnumpy==1.0`);
  });

  it.each([
    `-i https://${TOKEN}@${FEED}`,
    `--index-url=https://user:${TOKEN}@${FEED}`,
    `-ihttps://${TOKEN}@${FEED}`,
    `--extra-index-url https://build:${TOKEN}@${FEED}  # feed https://${TOKEN}@x.example`,
    `-f https://u:${TOKEN}@example.com/wheels/`,
    `pkg @ https://user:${TOKEN}@example.com/pkg.whl`,
    `pkg[x] @ https://${TOKEN}@example.com/pkg.whl ; python_version >= "3.9"`,
    `pkg @ https://acct.blob.core.windows.net/c/pkg.whl?sv=2022-11-02&sig=${TOKEN}`,
    `promptflow @ https://${TOKEN}@example.com/pf.whl`,
    `-i https://user:p@ss${TOKEN}@${FEED}`,
    `# old feed: https://${TOKEN}@${FEED}`,
    `numpy  # token=${TOKEN}`,
    `pkg; python_version == "https://${TOKEN}@x"`,
    `pkg===https://${TOKEN}@x`,
    // errors and warnings quote the line
    `-r https://${TOKEN}@example.com/requirements.txt`,
    `-c https://${TOKEN}@example.com/constraints.txt`,
    `-i ftp://${TOKEN}@example.com/simple`,
    `-i https://${TOKEN}@${FEED} --trusted-host x`,
    `--foo=https://${TOKEN}@example.com`,
    `-xhttps://${TOKEN}@example.com`,
    `-e git+https://${TOKEN}@github.com/org/repo`,
    `https://${TOKEN}@example.com/pkg.whl`,
    `foo @ ftp://u:${TOKEN}@example.com/x.whl`,
    `foo==https://${TOKEN}@example.com`,
    `foo==1.0 --hash=https://${TOKEN}@example.com`,
    `foo==1.0 --https://${TOKEN}@example.com`,
    `foo bar https://${TOKEN}@example.com`,
    `./x.whl https://${TOKEN}@example.com`,
    `numpy\u0000 https://${TOKEN}@example.com`,
    `-i https://${TOKEN}@${FEED}${'/x'.repeat(600)}`,
  ])('should never return the token for %j', (text) => {
    const result = parseRequirements(text);
    expectNoToken(result);
    expect(result.errors.length + result.warnings.length + result.lines.length).toBeGreaterThan(0);
  });

  it('should redact a token that a continuation splits across lines', () => {
    const result = parseRequirements(`-i https://${TOKEN.slice(0, 8)}\\\n${TOKEN.slice(8)}@${FEED}\nnumpy`);
    expectNoToken(result, TOKEN.slice(0, 8));
    expectNoToken(result, TOKEN.slice(8));
    expect(result.lines[0]).toMatchObject({ line: 1, indexUrl: `https://${REDACTED}@${FEED}`, privateFeed: true });
    expect(result.lines[1]).toMatchObject({ line: 3, name: 'numpy', privateFeed: true });
  });

  it('should redact a token on an overlong line by dropping the whole line', () => {
    const text = `-i https://${TOKEN}@${FEED}${'a'.repeat(MAX_LINE_LENGTH)}`;
    const result = parseRequirements(text);
    expectNoToken(result);
    expect(result.lines[0].text).toBe(REDACTED);
  });

  // pip takes a feed without a scheme; its userinfo is still a token, quoted back in the error.
  it.each([
    `-i ${TOKEN}@pkgs.example.com/simple`,
    `--index-url=${TOKEN}@pkgs.example.com/simple`,
    `-i${TOKEN}@pkgs.example.com/simple`,
    `--extra-index-url build:${TOKEN}@pkgs.example.com/simple`,
    `--trusted-host ${TOKEN}@pkgs.example.com`,
    `-f ${TOKEN}@pkgs.example.com/wheels`,
    `numpy -i ${TOKEN}@pkgs.example.com/simple`,
  ])('should never return the token of a feed written without a scheme: %j', (text) => {
    const result = parseRequirements(`# our feed token is ${TOKEN}\n${text}\nnumpy`);
    expectNoToken(result);
    expect(result.errors).toHaveLength(1);
  });

  it('should learn a token from an overlong line and mask it on every other line', () => {
    const long = `-i https://${TOKEN}@${FEED}${'x'.repeat(MAX_LINE_LENGTH)}`;
    const result = parseRequirements(`# token ${TOKEN} expires soon\n${long}\nnumpy`);
    expectNoToken(result);
    expect(result.lines[0].text).toBe(`# token ${REDACTED} expires soon`);
  });

  it('should mask a token in a comment line beside a bad line', () => {
    const result = parseRequirements(`# feed password ${TOKEN}\n-i https://${TOKEN}@${FEED}\nnot a requirement!`);
    expectNoToken(result);
    expect(result.errors).toHaveLength(1);
  });

  it('should mask every token repeated in a comment, however many feeds the file names', () => {
    const tokens = Array.from({ length: 40 }, (_, i) => `tok${String(i).padStart(2, '0')}Zq81xWvB4nLs`);
    const feeds = tokens.map((t, i) => `--extra-index-url https://${t}@feed${i}.example.com/simple`);
    const result = parseRequirements([...feeds, `# tokens: ${tokens.join(' ')}`, 'numpy'].join('\n'));
    for (const token of tokens) expectNoToken(result, token);
  });

  it('should mask known tokens in time linear in the text', () => {
    const file = (lines: number) =>
      Array.from({ length: lines }, (_, i) => `-i https://t${i}Zq81xWvB4nLs@f.example.com/s  # t${i}Zq81xWvB4nLs`).join(
        '\n',
      );
    expect(growth((lines) => parseRequirements(file(lines)), 50, 500)).toBeLessThan(linearBound(50, 500));
  });

  it('should keep a public URL untouched', () => {
    expect(only('-i https://pypi.org/simple/').indexUrl).toBe('https://pypi.org/simple/');
  });
});

describe('parseRequirements: line endings and continuations', () => {
  it('should accept CRLF and a lone CR as line breaks', () => {
    const result = parseRequirements('numpy==1.0\r\npandas\r\n\r\nscipy\rtorch\r\n');
    expect(result.errors).toEqual([]);
    expect(result.lines.map((l) => [l.line, l.text])).toEqual([
      [1, 'numpy==1.0'],
      [2, 'pandas'],
      [3, ''],
      [4, 'scipy'],
      [5, 'torch'],
    ]);
  });

  it('should join a trailing backslash with the next line and report the first line', () => {
    const result = parseRequirements('numpy \\\n  >=1.0,\\\n  <2\nrequests');
    expect(result.errors).toEqual([]);
    expect(result.lines).toHaveLength(2);
    expect(result.lines[0]).toMatchObject({
      line: 1,
      name: 'numpy',
      specifier: '>=1.0,<2',
      text: 'numpy   >=1.0,  <2',
    });
    expect(result.lines[1]).toMatchObject({ line: 4, name: 'requests' });
  });

  it('should join an option with its value across a continuation', () => {
    const result = parseRequirements(`--index-url \\\n  https://${FEED}\nnumpy`);
    expect(result.lines[0]).toMatchObject({ line: 1, kind: 'index', indexUrl: `https://${FEED}` });
    expect(result.lines[1]).toMatchObject({ line: 3, privateFeed: true });
  });

  it('should end a continuation at a comment line, like pip', () => {
    const result = parseRequirements('numpy\\\n# note\npandas');
    expect(result.lines.map((l) => [l.line, l.kind, l.name])).toEqual([
      [1, 'package', 'numpy'],
      [3, 'package', 'pandas'],
    ]);
  });

  it('should not continue a comment line that ends with a backslash', () => {
    const result = parseRequirements('# see C:\\\nnumpy');
    expect(result.lines.map((l) => l.kind)).toEqual(['comment', 'package']);
  });

  it('should accept a backslash on the last line', () => {
    expect(only('numpy==1.0\\')).toMatchObject({ name: 'numpy', specifier: '==1.0', text: 'numpy==1.0' });
  });

  it('should ignore a leading byte order mark', () => {
    expect(only('\ufeffnumpy').name).toBe('numpy');
  });
});

describe('parseRequirements: hostile input', () => {
  it.each([
    ['numpy\u0000', 'numpy\ufffd'],
    ['\u001b[31mnumpy', '\ufffd[31mnumpy'],
    ['num\u200bpy==1.0', 'num\ufffdpy==1.0'],
    ['\u202enumpy==1.0', '\ufffdnumpy==1.0'],
    ['numpy\u0085', 'numpy\ufffd'],
    ['numpy\u2028pandas', 'numpy\ufffdpandas'],
    ['numpy\fpandas', 'numpy\ufffdpandas'],
    ['numpy\u007f', 'numpy\ufffd'],
  ])('should reject %j with a line error and echo it as %j', (text, shown) => {
    const result = parseRequirements(`pandas\n${text}`);
    expect(result.errors).toEqual([
      { line: 2, message: 'line 2: the line contains control or invisible characters; retype it' },
    ]);
    expect(result.lines[1].text).toBe(shown);
  });

  it('should allow tabs', () => {
    expect(only('numpy\t==\t1.0\t# x').specifier).toBe('==1.0');
  });

  it('should reject a line longer than the limit and accept one at it', () => {
    const name = 'a'.repeat(MAX_LINE_LENGTH);
    expect(only(name).name).toBe(name);
    const result = parseRequirements(`numpy\n${name}b`);
    expect(result.errors).toEqual([{ line: 2, message: 'line 2 is longer than 1000 characters' }]);
    expect(result.lines[1]).toMatchObject({ text: REDACTED, kind: 'package' });
  });

  it('should count a joined continuation towards the length limit', () => {
    const text = Array.from({ length: 20 }, () => `${'a'.repeat(60)}\\`).join('\n');
    expect(errorsOf(text)).toEqual(['line 1 is longer than 1000 characters']);
  });

  it('should reject more than 500 non-blank lines with a single error', () => {
    const text = Array.from({ length: 501 }, (_, i) => `pkg${i}`).join('\n');
    expect(parseRequirements(text)).toEqual({
      lines: [],
      packages: [],
      errors: [{ line: 0, message: 'too many requirement lines (501); the limit is 500' }],
      warnings: [],
    });
  });

  it('should accept 500 non-blank lines among any number of blank ones', () => {
    const text = Array.from({ length: 500 }, (_, i) => `pkg${i}\n\n  `).join('\n');
    const result = parseRequirements(text);
    expect(result.errors).toEqual([]);
    expect(result.packages).toHaveLength(500);
  });

  it.each([
    ['letters', 'a'.repeat(100_000)],
    ['dots', 'a.'.repeat(50_000)],
    ['backslashes', `${'\\'.repeat(100_000)}x`],
    ['scheme separators', `-i ${'https://'.repeat(12_500)}`],
    ['at signs', `pkg @ https://${'@:'.repeat(50_000)}`],
    ['versions', `pkg==${'1.'.repeat(50_000)}`],
    ['whitespace before a hash', `${' '.repeat(100_000)}x#`],
  ])('should handle a 100 KB line of %s quickly', (_, line) => {
    const started = performance.now();
    const result = parseRequirements(line);
    expect(performance.now() - started).toBeLessThan(500);
    expect(result.errors).toHaveLength(1);
  });

  it.each([
    ['dotted names', 'a.'.repeat(499)],
    ['scheme-like runs', `# ${'a.a+'.repeat(240)}://`],
    ['versions', `pkg==${'1.'.repeat(496)}`],
    ['pre-release noise', `pkg==1${'a1-1'.repeat(240)}x`],
    ['userinfo', `-i https://${'a:@'.repeat(330)}`],
    ['hash signs', `pkg ${' #'.repeat(495)}`],
    ['key words', `# ${'token= '.repeat(140)}`],
    ['dotted URLs after a key word', `token ${'a.'.repeat(490)}://@`],
  ])('should parse 500 maximal lines of %s quickly', (_, line) => {
    const text = Array.from({ length: 500 }, () => line.slice(0, MAX_LINE_LENGTH)).join('\n');
    const started = performance.now();
    parseRequirements(text);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('should stay fast when every line holds many distinct URL tokens', () => {
    let n = 0;
    const line = () => Array.from({ length: 80 }, () => `://s${(n++).toString(36).padStart(6, '0')}@`).join(' ');
    const text = Array.from({ length: 500 }, () => `# ${line()}`).join('\n');
    const started = performance.now();
    const result = parseRequirements(text);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(result.errors).toEqual([]);
    expect(redactedRequirementsText(result)).not.toContain('s000000');
  });

  it('should never throw on random input', () => {
    const alphabet = [
      'a',
      'Z',
      '1',
      '.',
      '-',
      '_',
      ' ',
      '\t',
      '#',
      '\\',
      '@',
      ':',
      '/',
      '[',
      ']',
      ';',
      ',',
      '=',
      '<',
      '>',
    ];
    alphabet.push(
      '!',
      '~',
      '*',
      '(',
      ')',
      '"',
      "'",
      '\n',
      '\r',
      '\u0000',
      '\u202e',
      'é',
      '-i ',
      'https://',
      '--',
      'x@',
    );
    let seed = 42;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    for (let i = 0; i < 3000; i++) {
      const text = Array.from({ length: next() % 60 }, () => alphabet[next() % alphabet.length]).join('');
      const result = parseRequirements(text);
      for (const line of result.lines) expect(typeof line.text).toBe('string');
      for (const problem of [...result.errors, ...result.warnings]) expect(problem.message).toMatch(/^line \d+/);
    }
  });

  it('should treat a non-string as empty input', () => {
    expect(parseRequirements(undefined as unknown as string).lines).toEqual([]);
    expect(requirementsFingerprint(null as unknown as string)).toBe(requirementsFingerprint(''));
  });
});

describe('redactedRequirementsText', () => {
  it('should reproduce input without secrets line for line', () => {
    const text = 'numpy==1.0  # pin\n\n--pre\r\nrequests[socks]';
    expect(redactedRequirementsText(parseRequirements(text))).toBe('numpy==1.0  # pin\n\n--pre\nrequests[socks]');
  });

  it('should parse back to the same packages', () => {
    const original = parseRequirements(`-i https://${TOKEN}@${FEED}\nnumpy>=1\npandas[excel] ; python_version > "3.8"`);
    const again = parseRequirements(redactedRequirementsText(original));
    expect(again.packages).toEqual(original.packages);
  });
});

describe('requirementsFingerprint', () => {
  it('should be the sha256 hex of the original text', () => {
    const text = `-i https://${TOKEN}@${FEED}\nnumpy`;
    expect(requirementsFingerprint(text)).toBe(createHash('sha256').update(text).digest('hex'));
    expect(requirementsFingerprint(text)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('should be stable across calls, line endings and trailing whitespace', () => {
    const base = requirementsFingerprint('numpy\npandas');
    expect(requirementsFingerprint('numpy\npandas')).toBe(base);
    expect(requirementsFingerprint('numpy\r\npandas\r\n')).toBe(base);
    expect(requirementsFingerprint('\ufeffnumpy\rpandas \n\n')).toBe(base);
  });

  it('should differ when the token or the packages differ', () => {
    const a = requirementsFingerprint(`-i https://${TOKEN}@${FEED}\nnumpy`);
    expect(requirementsFingerprint(`-i https://other-token@${FEED}\nnumpy`)).not.toBe(a);
    expect(requirementsFingerprint(`-i https://${TOKEN}@${FEED}\nnumpy==1`)).not.toBe(a);
    expect(requirementsFingerprint('numpy')).not.toBe(requirementsFingerprint('numpy\npandas'));
  });
});

describe('normalizeName', () => {
  it.each([
    ['NumPy', 'numpy'],
    ['Foo__Bar.-baz', 'foo-bar-baz'],
    ['promptflow_tools', 'promptflow-tools'],
  ])('should normalize %j to %j', (name, expected) => {
    expect(normalizeName(name)).toBe(expected);
  });
});
