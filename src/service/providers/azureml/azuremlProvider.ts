/**
 * The `azureml` provider: the same operations as the emulator, on real Azure ML prompt flow
 * runtimes (compute instance and deployment runtimes through FlowRuntimes, automatic runtimes
 * through FlowSessions). The runtime records are a mirror kept by `sync` plus the service's own
 * bookkeeping (locks, last operation, requirement lines). Azure itself shuts idle sessions down,
 * so there is no system work: the sync notices that they are gone.
 */
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { type Clock, systemClock } from '../../../clock';
import type { AzureMlConfig } from '../../../config';
import type { Logger } from '../../../logger';
import { Collection } from '../../../storage/collection';
import type { Storage } from '../../../storage/storage';
import type { OperationRecord, PreparedOperation, RuntimeRecord, StepOutcome, SystemRequest } from '../../model';
import type { VersionStore } from '../../versions/versionStore';
import type { PrepareArgs, RuntimeChange, RuntimeProvider } from '../provider';
import { CircuitBreaker } from './breaker';
import { AzureMlClient, type AzureMlClientOptions } from './client';
import { PendingRequirements } from './pendingRequirements';
import { prepareAzure } from './prepare';
import { AzureMlReference } from './reference';
import type { AzureStepContext } from './stepContext';
import { stepAzure } from './steps';
import { syncRuntimes } from './sync';
import { TokenCache } from './tokens';

/** Knobs for tests and operators; the defaults suit production. */
export interface AzureMlTuning {
  /** Between two looks at an operation in progress; default 5 s (the SDK's). */
  pollMs?: number;
  breaker?: { threshold: number; cooldownMs: number };
  client?: Pick<AzureMlClientOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'retryBudgetMs' | 'sleep'>;
  /** How often the token refresher looks for due tokens; default 30 s. */
  tokenCheckMs?: number;
}

export interface AzureMlProviderOptions {
  config: AzureMlConfig;
  storage: Storage;
  clock: Clock;
  versions: VersionStore;
  log: Logger;
  /** Default: DefaultAzureCredential (AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, managed identity, az login…). */
  credential?: TokenCredential;
  tuning?: AzureMlTuning;
}

export class AzureMlProvider implements RuntimeProvider {
  readonly name = 'azureml' as const;
  readonly reference: AzureMlReference;
  readonly client: AzureMlClient;
  readonly tokens: TokenCache;
  private readonly runtimes: Collection<RuntimeRecord>;
  private readonly pending = new PendingRequirements();
  private readonly steps: AzureStepContext;
  private nextSyncAt = 0;
  private lastSync?: { at: number; ok: boolean; detail: string };
  /** What the sync at start-up found: the engine's first sweep publishes it with its own. */
  private unpublished: RuntimeChange[] = [];

  constructor(private readonly options: AzureMlProviderOptions) {
    const { config, clock, log, tuning = {} } = options;
    this.runtimes = new Collection(options.storage, 'runtimes');
    this.reference = new AzureMlReference(this.runtimes);
    const credential =
      options.credential ??
      new DefaultAzureCredential(
        // A custom authority (sovereign cloud, Azure Stack, a test endpoint) is not in Microsoft's
        // instance list, so looking it up would fail the sign-in before it starts.
        {
          ...(config.authorityHost ? { authorityHost: config.authorityHost, disableInstanceDiscovery: true } : {}),
          ...(config.managedIdentityClientId ? { managedIdentityClientId: config.managedIdentityClientId } : {}),
        },
      );
    this.tokens = new TokenCache(credential, [config.armScope, config.amlScope], {
      clock: systemClock, // token expiry is wall-clock time, whatever clock the service runs on
      log: log.child({ component: 'tokens' }),
      ...(tuning.tokenCheckMs ? { checkMs: tuning.tokenCheckMs } : {}),
    });
    this.client = new AzureMlClient({
      apiUrl: config.apiUrl,
      subscriptionId: config.subscriptionId,
      resourceGroup: config.resourceGroup,
      workspace: config.workspace,
      tokens: this.tokens,
      armScope: config.armScope,
      amlScope: config.amlScope,
      clock,
      log: log.child({ component: 'azureml' }),
      requestTimeoutMs: config.requestTimeoutSeconds * 1000,
      breaker: new CircuitBreaker(clock, tuning.breaker),
      ...tuning.client,
    });
    this.steps = {
      client: this.client,
      runtimes: this.runtimes,
      pending: this.pending,
      now: () => clock.now(),
      latestVersion: () => options.versions.latest(),
      log: log.child({ component: 'azureml-steps' }),
      operationTimeoutMs: config.operationTimeoutMinutes * 60_000,
      pollMs: tuning.pollMs ?? 5000,
    };
  }

  /** The first tokens and the first sync; a failure is logged and shows in /readyz, and the service still starts. */
  async start(): Promise<void> {
    try {
      await this.tokens.start();
    } catch (error) {
      this.options.log.error('Azure ML tokens unavailable at start-up', { error });
      return;
    }
    this.unpublished = await this.sync();
  }

  stop(): Promise<void> {
    return this.tokens.stop();
  }

  prepare(...args: PrepareArgs): Promise<PreparedOperation> {
    return prepareAzure(args, {
      latestVersion: () => this.options.versions.latest(),
      knownVersion: (tag) => this.options.versions.has(tag),
      pending: this.pending,
      now: this.options.clock.now(),
    });
  }

  step(op: OperationRecord): Promise<StepOutcome> {
    return stepAzure(op, this.steps);
  }

  /** Idle sessions are deleted by Azure itself; the sync sees them go. */
  async systemWork(): Promise<SystemRequest[]> {
    return [];
  }

  /**
   * At most once per AZUREML_SYNC_SECONDS; never throws (a failure shows in /readyz). Returns every
   * change not reported yet, so that the engine publishes it and other replicas' read models see it.
   */
  async sync(): Promise<RuntimeChange[]> {
    const carried = this.unpublished.splice(0);
    const now = this.options.clock.now();
    if (now < this.nextSyncAt) return carried;
    this.nextSyncAt = now + this.options.config.syncSeconds * 1000;
    try {
      const result = await syncRuntimes({
        client: this.client,
        runtimes: this.runtimes,
        now: () => this.options.clock.now(),
      });
      const skipped = result.skipped.length ? `; skipped ${result.skipped.join(', ')}` : '';
      this.lastSync = { at: now, ok: true, detail: `${result.changes.length} changes${skipped}` };
      if (result.skipped.length)
        this.options.log.debug('runtimes the service cannot show', { skipped: result.skipped });
      return [...carried, ...result.changes];
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.lastSync = { at: now, ok: false, detail: message };
      this.options.log.warn('azureml sync failed', { error: message });
      return carried;
    }
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    const { config, clock } = this.options;
    const tokens = this.tokens.status();
    const breaker = this.client.breaker;
    const sync = this.lastSync
      ? `last sync ${Math.round((clock.now() - this.lastSync.at) / 1000)} s ago ${this.lastSync.ok ? 'ok' : `failed: ${this.lastSync.detail}`}`
      : 'not synced yet';
    return {
      ok: tokens.ok && breaker.state !== 'open',
      detail: `workspace ${config.workspace} (${new URL(config.apiUrl).host}); ${breaker.describe()}; ${tokens.detail}; ${sync}`,
    };
  }
}
