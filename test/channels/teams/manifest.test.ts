import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/core/commands/registry';
import { buildManifest } from '../../../src/channels/teams/manifest';

const SCHEMAS = path.resolve(__dirname, '../../../node_modules/@microsoft/app-manifest/build/json-schemas/teams');
const ROOT = path.resolve(__dirname, '../../..');

/** The newest v1.x schema the package ships, so a package upgrade moves us forward. */
function newestSchema(): { version: string; schema: object } {
  const versions = readdirSync(SCHEMAS)
    .filter((d) => /^v1\.\d+$/.test(d))
    .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
  const version = versions.at(-1)!;
  return {
    version: version.slice(1),
    schema: JSON.parse(readFileSync(path.join(SCHEMAS, version, 'MicrosoftTeams.schema.json'), 'utf8')),
  };
}

const BOT_ID = '3f1c6d2e-7a4b-4c8d-9e0f-1a2b3c4d5e6f';

describe('Teams app manifest', () => {
  it('should use the newest schema version the package ships', () => {
    const manifest = buildManifest({ appId: BOT_ID, botId: BOT_ID });
    expect(manifest.manifestVersion).toBe(newestSchema().version);
  });

  it('should validate against the official JSON schema', () => {
    const ajv = new AjvDraft04({ allErrors: true, strict: false });
    const validate = ajv.compile(newestSchema().schema);
    const manifest = buildManifest({ appId: BOT_ID, botId: BOT_ID, version: '1.2.3', domains: ['bot.example.com'] });
    const ok = validate(manifest);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('should reject a manifest the schema forbids, so the check above can fail', () => {
    const ajv = new AjvDraft04({ allErrors: true, strict: false });
    const validate = ajv.compile(newestSchema().schema);
    const manifest = buildManifest({ appId: 'not-a-guid', botId: BOT_ID });
    expect(validate(manifest)).toBe(false);
  });

  it('should generate the command lists from the command registry', () => {
    const manifest = buildManifest({ appId: BOT_ID, botId: BOT_ID }) as {
      bots: { scopes: string[]; commandLists: { scopes: string[]; commands: { title: string }[] }[] }[];
    };
    const bot = manifest.bots[0];
    expect(bot.scopes).toEqual(['personal', 'team', 'groupChat']);
    for (const list of bot.commandLists) {
      expect(list.commands.length).toBeLessThanOrEqual(10);
      for (const c of list.commands) expect(COMMANDS.map((x) => x.name)).toContain(c.title);
    }
    expect(bot.commandLists.flatMap((l) => l.scopes).sort()).toEqual(['groupChat', 'personal', 'team']);
  });

  it('should list retirement in every scope within the 10 commands, upgrade making room (the images are frozen)', () => {
    const manifest = buildManifest({ appId: BOT_ID, botId: BOT_ID }) as {
      bots: { commandLists: { commands: { title: string; description: string }[] }[] }[];
    };
    for (const list of manifest.bots[0].commandLists) {
      const titles = list.commands.map((c) => c.title);
      expect(titles).toHaveLength(10);
      expect(titles).toContain('retirement');
      expect(titles).not.toContain('upgrade');
      for (const c of list.commands) expect(c.description.length).toBeLessThanOrEqual(128);
      const retirement = list.commands.find((c) => c.title === 'retirement')!;
      expect(retirement.description).toBe(COMMANDS.find((c) => c.name === 'retirement')!.summary);
    }
  });

  it('should ship a 192×192 color icon and a 32×32 transparent white outline icon', () => {
    const size = (file: string) => {
      const png = readFileSync(path.join(ROOT, 'manifest', file));
      return [png.readUInt32BE(16), png.readUInt32BE(20), png[25]];
    };
    expect(size('color.png')).toEqual([192, 192, 6]);
    expect(size('outline.png')).toEqual([32, 32, 6]);
  });

  it('should write a zip with the manifest and icons through npm run package', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pkg-'));
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/package.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        MicrosoftAppId: BOT_ID,
        BOT_DOMAIN: 'bot.example.com',
        DOTENV_CONFIG_PATH: path.join(dir, 'none.env'),
      },
      stdio: 'pipe',
    });
    const zip = await JSZip.loadAsync(readFileSync(path.join(ROOT, 'build/appPackage.zip')));
    expect(Object.keys(zip.files).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    const manifest = JSON.parse(await zip.file('manifest.json')!.async('string'));
    expect(manifest.bots[0].botId).toBe(BOT_ID);
    expect(manifest.validDomains).toEqual(['bot.example.com']);
  });

  it('should take the bot id from BOT_ID, the Agents Toolkit provisioning output, over a local .env', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pkg-'));
    const toolkitBotId = '7e2d4c6a-1b3f-4a5e-9c8d-0f1e2d3c4b5a';
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/package.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        MicrosoftAppId: BOT_ID,
        BOT_ID: toolkitBotId,
        DOTENV_CONFIG_PATH: path.join(dir, 'none.env'),
      },
      stdio: 'pipe',
    });
    const zip = await JSZip.loadAsync(readFileSync(path.join(ROOT, 'build/appPackage.zip')));
    const manifest = JSON.parse(await zip.file('manifest.json')!.async('string'));
    expect(manifest.bots[0].botId).toBe(toolkitBotId);
  });
});
