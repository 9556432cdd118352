/** What `npm start` prints: where everything listens, and loudly, when authentication is off. */
import path from 'node:path';
import type { Config } from './config';

export interface BannerFacts {
  botUrl: string;
  playgroundUrl?: string;
  /** describeStorage(config): where the state lives, without credentials. */
  storage: string;
}

export function startupBanner(config: Config, { botUrl, playgroundUrl, storage }: BannerFacts): string {
  const lines = [
    '',
    ...(playgroundUrl ? [`  Chat with it:      ${playgroundUrl}   (Agents Playground, as Alex Wilber)`] : []),
    `  Bot endpoint:      ${botUrl}/api/messages`,
    `  Runtime service:   ${config.serviceUrl}${config.embedService ? ' (embedded, provider ' + config.service.provider + ')' : ' (shared)'}`,
    `  Try it:            curl ${config.serviceUrl}/v1/runtimes`,
    `  Approval policy:   ${config.bot.policyFile ? path.relative(process.cwd(), config.bot.policyFile) : 'none (every change runs at once)'}`,
    `  Notifications:     say "subscribe versions" in a chat; digest ${config.bot.notifications.digestTime ? `at ${config.bot.notifications.digestTime} UTC` : 'off'}`,
    `  Image versions:    ${versionSource(config)}`,
    `  Storage:           ${storage}`,
  ];
  if (!config.bot.appId) {
    lines.push(
      '',
      '  !! AUTHENTICATION IS OFF: no MicrosoftAppId is set, so the bot accepts unsigned requests.',
      `  !! That is only safe for local development; it listens on ${config.bot.host} (loopback) only.`,
    );
  }
  lines.push('');
  return `${lines.join('\n')}\n`;
}

function versionSource(config: Config): string {
  if (!config.embedService) return 'from the shared runtime service';
  const r = config.service.registry;
  return r
    ? `watching ${r.url}/v2/${r.repository} every ${r.pollSeconds} s`
    : 'the catalogue, and npm run publish-version';
}
