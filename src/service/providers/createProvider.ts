/**
 * Picks the runtime provider that config.provider names: the local emulator, or Azure ML. Kept out
 * of app.ts so that the composition root stays one line per part.
 */
import type { TokenCredential } from '@azure/identity';
import type { Clock } from '../../clock';
import type { ServiceConfig } from '../../config';
import type { Logger } from '../../logger';
import type { Storage } from '../../storage/storage';
import type { RuntimeIndex } from '../readModel/readModel';
import type { VersionStore } from '../versions/versionStore';
import { AzureMlProvider, type AzureMlTuning } from './azureml/azuremlProvider';
import { LocalProvider, localTimings } from './local/localProvider';
import type { LocalTimings } from './local/steps';
import type { RuntimeProvider } from './provider';

export interface ProviderOptions {
  config: ServiceConfig;
  storage: Storage;
  clock: Clock;
  versions: VersionStore;
  /** The read model, for the emulator's idle sweep. */
  index: RuntimeIndex;
  log: Logger;
  timings?: LocalTimings;
  credential?: TokenCredential;
  azureml?: AzureMlTuning;
}

export function createProvider(options: ProviderOptions): RuntimeProvider {
  const { config, storage, clock, versions, log } = options;
  if (config.provider === 'azureml') {
    if (!config.azureml) throw new Error('RUNTIME_PROVIDER=azureml needs the azureml settings (config.azureml)');
    return new AzureMlProvider({
      config: config.azureml,
      storage,
      clock,
      versions,
      log: log.child({ component: 'azureml' }),
      ...(options.credential ? { credential: options.credential } : {}),
      ...(options.azureml ? { tuning: options.azureml } : {}),
    });
  }
  return new LocalProvider({
    storage,
    index: options.index,
    clock,
    versions,
    workspaceFile: config.workspaceFile,
    timings: options.timings ?? localTimings(config.durationScale),
  });
}

/** Start-up work of the provider: the emulator seeds its workspace; Azure ML gets tokens and syncs. */
export async function startProvider(provider: RuntimeProvider): Promise<void> {
  if (provider instanceof LocalProvider) await provider.reference.seed();
  await provider.start?.();
}

/**
 * Engine defaults a provider needs. An azureml step may make a few Azure calls, each with retries
 * and time limits, so its lease must outlast them: otherwise another replica could take the
 * operation over mid-step and send the same write again.
 */
export function engineDefaults(provider: RuntimeProvider): { leaseMs?: number } {
  return provider.name === 'azureml' ? { leaseMs: 10 * 60_000 } : {};
}
