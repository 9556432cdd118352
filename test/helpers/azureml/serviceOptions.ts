/**
 * How tests run the runtime service against the fake (or a replay of recorded exchanges): the azureml provider pointed at the fake's
 * workspace, a real ClientSecretCredential from the token endpoint, short polls, a quick breaker,
 * and retry waits recorded instead of slept. Used by the provider tests and the bot's Azure ML stack.
 */
import type { Clock } from '../../../src/clock';
import type { Logger } from '../../../src/logger';
import type { ServiceAppOptions } from '../../../src/service/app';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { serviceConfig } from '../service';
import type { WorkspaceNames } from './replay';
import type { TokenEndpoint } from './tokenEndpoint';

export function azuremlServiceOptions(o: {
  /** The FakeAzureMl, or a ReplayServer: whatever serves the workspace. */
  fake: { config: WorkspaceNames };
  apiUrl: string;
  tokens: TokenEndpoint;
  clock: Clock;
  log: Logger;
  /** Collects the waits the client asked for (Retry-After), none really waited. */
  sleeps: number[];
  pollMs: number;
  syncSeconds?: number;
  demoData?: boolean;
}): ServiceAppOptions {
  return {
    config: serviceConfig({
      provider: 'azureml',
      ...(o.demoData !== undefined ? { demoData: o.demoData } : {}),
      azureml: {
        subscriptionId: o.fake.config.subscriptionId,
        resourceGroup: o.fake.config.resourceGroup,
        workspace: o.fake.config.workspace,
        apiUrl: o.apiUrl,
        armScope: 'https://management.azure.com/.default',
        amlScope: 'https://ml.azure.com/.default',
        requestTimeoutSeconds: 5,
        operationTimeoutMinutes: 10,
        syncSeconds: o.syncSeconds ?? 60,
      },
    }),
    storage: new MemoryStorage(),
    log: o.log,
    clock: o.clock,
    runWorkers: false,
    credential: o.tokens.credential(),
    azureml: {
      pollMs: o.pollMs,
      breaker: { threshold: 3, cooldownMs: 30_000 },
      client: { baseDelayMs: 10, sleep: async (ms) => void o.sleeps.push(ms) },
    },
  };
}
