/**
 * `npm start`: the bot, the embedded runtime service (unless RUNTIME_SERVICE_URL points at a shared
 * one), and in local mode the Agents Playground. Wiring only.
 */
import 'dotenv/config';
import path from 'node:path';
import { createBotApp } from './channels/teams/app';
import { Sealer } from './core/approvals/sealer';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { startPlayground } from './channels/teams/playground';
import { createRuntimeServiceApp } from './service/app';
import { startupBanner } from './startup';
import { createStorage, describeStorage } from './storage';
import { startTelemetry } from './telemetry/setup';

async function main(): Promise<void> {
  const config = loadConfig();
  const telemetry = startTelemetry(config.telemetry, 'runtime-bot'); // first: the apps below are wrapped or not
  const log = createLogger(config.logLevel, { app: 'runtime-bot' });
  if (telemetry.exporters.length) log.info('telemetry on', { exporters: telemetry.exporters });
  const stops: (() => Promise<void>)[] = [];
  if (config.embedService) {
    const service = createRuntimeServiceApp({
      config: config.service,
      storage: await createStorage(config, 'service'),
      log: log.child({ app: 'runtime-service' }),
    });
    await service.start();
    stops.push(() => service.stop());
  }
  const bot = createBotApp({
    config: config.bot,
    sealer: Sealer.fromConfig(config.bot.secretsKey, path.join(config.dataDir, 'bot')),
    storage: await createStorage(config, 'bot'),
    log,
    serviceUrl: config.serviceUrl,
    ...(config.service.token ? { serviceToken: config.service.token } : {}),
  });
  const botUrl = await bot.start();
  stops.unshift(() => bot.stop());
  const playground = config.playground.enabled
    ? await startPlayground(botUrl, config.playground.port, log, argValue(process.argv, '--as'))
    : undefined;
  if (playground) stops.unshift(async () => playground.stop());
  process.stdout.write(
    startupBanner(config, {
      botUrl,
      storage: await describeStorage(config),
      ...(playground ? { playgroundUrl: playground.url } : {}),
    }),
  );
  const shutdown = async () => {
    for (const stop of stops) await stop().catch(() => undefined);
    await telemetry.shutdown().catch(() => undefined); // last: it exports what the others recorded
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

function argValue(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

main().catch((error) => {
  process.stderr.write(
    error instanceof ConfigError ? `${error.message}\n` : `The bot could not start: ${(error as Error).message}\n`,
  );
  process.exit(1);
});
