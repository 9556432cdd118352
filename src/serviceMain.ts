/** `npm run service`: the runtime service alone, for a shared deployment behind several bots. */
import 'dotenv/config';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { createRuntimeServiceApp } from './service/app';
import { createStorage, describeStorage } from './storage';
import { startTelemetry } from './telemetry/setup';

async function main(): Promise<void> {
  const config = loadConfig(process.env, 'service');
  const telemetry = startTelemetry(config.telemetry, 'runtime-service'); // first: the app below is wrapped or not
  const log = createLogger(config.logLevel, { app: 'runtime-service' });
  const service = createRuntimeServiceApp({
    config: config.service,
    storage: await createStorage(config, 'service'),
    log,
  });
  const url = await service.start();
  log.info('runtime service listening', {
    url,
    provider: config.service.provider,
    storage: await describeStorage(config),
    auth: config.service.token ? 'bearer token' : 'none (loopback only)',
    telemetry: telemetry.exporters.join(', ') || 'off',
    worker: service.engine.owner,
  });
  const shutdown = async () => {
    await service.stop();
    await telemetry.shutdown().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`The runtime service could not start: ${(error as Error).message}\n`);
  }
  process.exit(1);
});
