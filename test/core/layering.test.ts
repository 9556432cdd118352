/**
 * The core knows no channel (issue 19): no file under src/core imports the Teams edge, card code or
 * Bot Framework, and the lint rule that says so stays on.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const CORE = path.join(ROOT, 'src/core');
const CHANNEL_DIRS = ['src/channels', 'src/bot', 'src/cards', 'src/teamsApp', 'src/playground'];
const CHANNEL_PACKAGES = /^(botbuilder|botframework-|adaptivecards)/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** Module specifiers of static imports, re-exports, dynamic imports and requires. */
function specifiers(source: string): string[] {
  const found = [
    ...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"\n]+)['"]/gm),
  ];
  return found.map((m) => m[1]!);
}

function channelImport(file: string, specifier: string): boolean {
  if (!specifier.startsWith('.')) return CHANNEL_PACKAGES.test(specifier);
  const target = path
    .relative(ROOT, path.resolve(path.dirname(file), specifier))
    .split(path.sep)
    .join('/');
  return CHANNEL_DIRS.some((dir) => target === dir || target.startsWith(`${dir}/`));
}

describe('the core', () => {
  it('should import nothing of a channel, card code or Bot Framework', () => {
    const files = sourceFiles(CORE);
    expect(files.length).toBeGreaterThan(50);
    const offending = files.flatMap((file) =>
      specifiers(readFileSync(file, 'utf8'))
        .filter((s) => channelImport(file, s))
        .map((s) => `${path.relative(ROOT, file)} imports ${s}`),
    );
    expect(offending).toEqual([]);
  });

  it('should see its imports, so that the check above can fail', () => {
    const sample = `import { a } from '../../channels/teams/sdk';\nexport { b } from "botbuilder";\nconst c = require('../../cards/render');\nimport { d } from '../replies';\n`;
    const file = path.join(CORE, 'actions/sample.ts');
    expect(specifiers(sample).filter((s) => channelImport(file, s))).toEqual([
      '../../channels/teams/sdk',
      'botbuilder',
      '../../cards/render',
    ]);
  });

  it('should be held to it by the linter', async () => {
    const eslint = new ESLint({ cwd: ROOT });
    const fixture = [
      "import { CloudAdapter } from 'botbuilder';",
      "import { renderCard } from '../channels/teams/cards/render';",
      "import { Template } from 'adaptivecards-templating';",
      "import { RuntimeClient } from '../client/runtimeClient';",
      'export const all = [CloudAdapter, renderCard, Template, RuntimeClient];',
      '',
    ].join('\n');
    const [core] = await eslint.lintText(fixture, { filePath: path.join(CORE, 'layeringFixture.ts') });
    const restricted = core!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.line);
    expect(restricted).toEqual([1, 2, 3]);
    // The Teams edge is where those imports belong.
    const [edge] = await eslint.lintText(fixture, {
      filePath: path.join(ROOT, 'src/channels/teams/layeringFixture.ts'),
    });
    expect(edge!.messages.filter((m) => m.ruleId === 'no-restricted-imports')).toEqual([]);
  });
});
