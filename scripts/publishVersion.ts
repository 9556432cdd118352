/**
 * `npm run publish-version -- <tag> [notes…]`: publishes a new base-image version to a running
 * runtime service, so that "a new version is out" can be seen locally.
 */
import 'dotenv/config';
import { RuntimeClient } from '../src/client/runtimeClient';
import { loadConfig } from '../src/config';
import { AppError } from '../src/errors';

async function main(): Promise<void> {
  const [tag, ...notes] = process.argv.slice(2);
  if (!tag) throw new Error('Usage: npm run publish-version -- <YYYYMMDD.vN> [release notes]');
  const config = loadConfig();
  const client = new RuntimeClient({
    baseUrl: config.serviceUrl,
    ...(config.service.token ? { token: config.service.token } : {}),
  });
  const actor = { objectId: process.env.ACTING_USER_ID ?? 'cli-admin', name: 'publish-version script' };
  const version = await client.publishVersion(tag, notes.join(' ') || undefined, actor);
  process.stdout.write(`Published ${version.tag} to ${config.serviceUrl}.\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`${error instanceof AppError ? error.message : error.message}\n`);
  process.exit(1);
});
