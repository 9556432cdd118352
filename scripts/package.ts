/**
 * `npm run package`: writes the Teams app package (manifest.json + icons) to build/appPackage.zip,
 * with the bot id and the domains taken from .env (MicrosoftAppId, TEAMS_APP_ID, BOT_DOMAIN). Under
 * the Agents Toolkit (m365agents*.yml) the bot id is its BOT_ID, which wins over a local .env.
 */
import 'dotenv/config';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import JSZip from 'jszip';
import { buildManifest, MANIFEST_DIR } from '../src/channels/teams/manifest';

async function main(): Promise<void> {
  const botId = process.env.BOT_ID?.trim() || process.env.MicrosoftAppId?.trim();
  if (!botId) {
    throw new Error('Set MicrosoftAppId in .env (or BOT_ID): the package needs the Azure Bot registration id.');
  }
  const appId = process.env.TEAMS_APP_ID?.trim() || botId;
  const domains = (process.env.BOT_DOMAIN ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  const version = (JSON.parse(readFileSync(path.resolve(__dirname, '../package.json'), 'utf8')) as { version: string })
    .version;
  const manifest = buildManifest({ appId, botId, version, domains });
  const zip = new JSZip();
  zip.file('manifest.json', JSON.stringify(manifest, null, 2));
  zip.file('color.png', readFileSync(path.join(MANIFEST_DIR, 'color.png')));
  zip.file('outline.png', readFileSync(path.join(MANIFEST_DIR, 'outline.png')));
  const out = path.resolve(__dirname, '../build/appPackage.zip');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));
  process.stdout.write(`Wrote ${path.relative(process.cwd(), out)} (bot ${botId}, app ${appId}).\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
