/**
 * Every metric the product records, created against whichever MeterProvider is global when they
 * are first used. The API gives no proxy for meters (unlike tracers): instruments made before the
 * SDK starts would stay no-ops forever, so they are made lazily and remade if the provider changes.
 *
 * Labels are low-cardinality names only (command, kind, status, route, collection): never a runtime
 * name, a user, a conversation or any text a user typed.
 */
import { type Counter, type Histogram, type Meter, metrics, type MeterProvider } from '@opentelemetry/api';

export interface Instruments {
  meter: Meter;
  /** bot.turn.duration: one activity from the channel, by command or card verb. */
  turnDuration: Histogram;
  /** runtime.operation.duration: accepted → Succeeded/Failed, by kind and outcome. */
  operationDuration: Histogram;
  /** http.server.request.duration: the runtime service's routes. */
  serverDuration: Histogram;
  /** azureml.client.request.duration: one attempt of one call to the Azure ML API. */
  azureDuration: Histogram;
  /** azureml.client.retries: attempts after the first, by what made them necessary. */
  azureRetries: Counter;
  /** storage.operation.duration: one read, write, delete or list. */
  storageDuration: Histogram;
  /** storage.etag_conflicts: writes refused because someone else wrote first. */
  storageConflicts: Counter;
  /** bot.notification.sends: proactive sends, by HTTP status (429 = throttled). */
  notificationSends: Counter;
}

const SCOPE = 'promptflow-runtime-bot';
/** Seconds, for work done while someone waits (turns, HTTP, storage). */
const FAST = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30];
/** Seconds, for operations that take minutes (a reset, a create). */
const SLOW = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];

let bound: { provider: MeterProvider; instruments: Instruments } | undefined;

export function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (bound?.provider !== provider) bound = { provider, instruments: create(provider.getMeter(SCOPE)) };
  return bound.instruments;
}

function create(meter: Meter): Instruments {
  const seconds = (name: string, description: string, buckets: number[]) =>
    meter.createHistogram(name, { unit: 's', description, advice: { explicitBucketBoundaries: buckets } });
  return {
    meter,
    turnDuration: seconds('bot.turn.duration', 'Time to handle one activity from the channel', FAST),
    operationDuration: seconds('runtime.operation.duration', 'Time from accepting a change to its end', SLOW),
    serverDuration: seconds('http.server.request.duration', 'Runtime service request time', FAST),
    azureDuration: seconds('azureml.client.request.duration', 'One attempt of an Azure ML API call', FAST),
    azureRetries: meter.createCounter('azureml.client.retries', {
      unit: '{retry}',
      description: 'Azure ML API attempts after the first',
    }),
    storageDuration: seconds('storage.operation.duration', 'One storage read, write, delete or list', FAST),
    storageConflicts: meter.createCounter('storage.etag_conflicts', {
      unit: '{conflict}',
      description: 'Writes refused because the stored eTag had changed',
    }),
    notificationSends: meter.createCounter('bot.notification.sends', {
      unit: '{send}',
      description: 'Proactive notification sends, by outcome and HTTP status',
    }),
  };
}
