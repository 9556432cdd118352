/**
 * Composition root of the runtime service: storage, versions, read model, registry watcher,
 * provider, engine, views, server. `npm start` embeds it; `npm run service` runs it alone; tests
 * build it with their own clock.
 */
import type { TokenCredential } from '@azure/identity';
import type restify from 'restify';
import { type Clock, systemClock } from '../clock';
import { EVENT_STREAM_DEFAULTS, type ServiceConfig } from '../config';
import type { Logger } from '../logger';
import type { Storage } from '../storage/storage';
import { EventLog, type EventLogOptions } from './events/eventLog';
import { StreamLimits } from './events/streamLimits';
import { type EngineOptions, OperationEngine } from './operations/engine';
import type { AzureMlTuning } from './providers/azureml/azuremlProvider';
import { createProvider, engineDefaults, startProvider } from './providers/createProvider';
import { seedDemoData } from './providers/local/demoData';
import type { LocalTimings } from './providers/local/steps';
import { RuntimeReadModel } from './readModel/readModel';
import { RuntimeViews } from './runtimeViews';
import { createServiceServer } from './server';
import { RegistryWatcher, type RegistryWatcherOptions } from './versions/registryWatcher';
import { VersionStore } from './versions/versionStore';
import { traceStorage } from '../telemetry/storage';

export interface RuntimeServiceApp {
  server: restify.Server;
  engine: OperationEngine;
  events: EventLog;
  versions: VersionStore;
  /** What every read is answered from; tests without workers call `readModel.catchUp()` by hand. */
  readModel: RuntimeReadModel;
  /** Present when `config.registry` is set; it polls only while the workers run. */
  registry?: RegistryWatcher;
  /** Seeds demo data, starts the workers, and listens. Resolves with the base URL. */
  start(): Promise<string>;
  stop(): Promise<void>;
}

export interface ServiceAppOptions {
  config: ServiceConfig;
  storage: Storage;
  log: Logger;
  clock?: Clock;
  timings?: LocalTimings;
  engine?: EngineOptions;
  /** Tests drive the engine (and the read model's tailing) by hand with a fake clock. */
  runWorkers?: boolean;
  /** Overrides for the event log (page size, retention, poll intervals); tests make them small. */
  events?: Omit<EventLogOptions, 'log'>;
  /** How long reads may go on without the read model confirming it is current (default 5 s). */
  readModelStaleAfterMs?: number;
  /** Overrides for the registry watcher (backoff, timeouts); tests make it fast. */
  registryWatcher?: Partial<RegistryWatcherOptions>;
  /** azureml provider: the Entra credential (default DefaultAzureCredential), and test knobs. */
  credential?: TokenCredential;
  azureml?: AzureMlTuning;
}

export function createRuntimeServiceApp(options: ServiceAppOptions): RuntimeServiceApp {
  const { config, log } = options;
  const storage = traceStorage(options.storage, 'service');
  const clock = options.clock ?? systemClock;
  const events = new EventLog(storage, clock, { ...options.events, log: log.child({ component: 'events' }) });
  const versions = new VersionStore(storage, config.catalogueFile, clock, events);
  const readModel = new RuntimeReadModel({
    storage,
    events,
    versions,
    log: log.child({ component: 'read-model' }),
    ...(options.readModelStaleAfterMs ? { staleAfterMs: options.readModelStaleAfterMs } : {}),
  });
  // Every writer of runtime records gets the observed storage: its writes are in the next read.
  const writers = readModel.observe(storage);
  const provider = createProvider({ ...options, storage: writers, clock, versions, index: readModel });
  const engineOptions = {
    ...engineDefaults(provider),
    ...(config.operationLeaseSeconds ? { leaseMs: config.operationLeaseSeconds * 1000 } : {}),
    ...options.engine,
  };
  const engine = new OperationEngine(
    writers,
    provider,
    events,
    clock,
    log.child({ component: 'engine' }),
    readModel,
    engineOptions,
  );
  const registry = config.registry
    ? new RegistryWatcher(storage, versions, clock, log.child({ component: 'registry' }), {
        registryUrl: config.registry.url,
        repository: config.registry.repository,
        pollMs: config.registry.pollSeconds * 1000,
        ...options.registryWatcher,
      })
    : undefined;
  const views = new RuntimeViews(readModel, versions, clock);
  const server = createServiceServer({
    engine,
    views,
    versions,
    events,
    streams: new StreamLimits(config.eventStreams ?? EVENT_STREAM_DEFAULTS),
    provider,
    storage,
    log: log.child({ component: 'http' }),
    maxBodyBytes: config.maxBodyBytes,
    ...(config.token ? { token: config.token } : {}),
  });

  return {
    server,
    engine,
    events,
    versions,
    readModel,
    ...(registry ? { registry } : {}),
    async start() {
      await startProvider(provider);
      if (config.demoData && provider.name === 'local') {
        const seeded = await seedDemoData(writers, versions, clock);
        if (seeded) log.info('demo data written', { runtimes: seeded });
      }
      await readModel.start();
      if (options.runWorkers !== false) {
        events.start();
        readModel.startTailing();
        engine.start();
        registry?.start();
      }
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve());
      });
      const address = server.address();
      return `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${address.port}`;
    },
    async stop() {
      await engine.stop();
      await provider.stop?.();
      await registry?.stop();
      await readModel.stop();
      server.server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await events.stop();
    },
  };
}
