/**
 * A Storage that measures every call (`storage.operation.duration`, `storage.etag_conflicts`) and,
 * inside a traced unit of work, makes a span per call. Labels name the collection (the key's prefix,
 * `operations`, `outbox`…), never a key: keys hold runtime names and conversation ids.
 * An eTag conflict is the optimistic-concurrency protocol working, not a failure: it is counted and
 * marked on the span, whose status stays unset.
 */
import { type Attributes, SpanKind, trace } from '@opentelemetry/api';
import { isEtagConflict, type Storage, type StoreItems } from '../storage/storage';
import { instruments } from './metrics';
import { telemetryOn } from './switch';
import { type Component, failSpan, secondsSince, tracer } from './tracer';

type StorageOperation = 'read' | 'write' | 'delete' | 'list';

/** The storage itself while telemetry is off; a measuring wrapper when it is on. */
export function traceStorage(storage: Storage, area: Component): Storage {
  return telemetryOn() ? new TracedStorage(storage, area) : storage;
}

class TracedStorage implements Storage {
  constructor(
    private readonly inner: Storage,
    private readonly area: Component,
  ) {}

  read(keys: string[]): Promise<StoreItems> {
    return this.measure('read', keys, () => this.inner.read(keys));
  }

  write(changes: StoreItems): Promise<void> {
    return this.measure('write', Object.keys(changes), () => this.inner.write(changes));
  }

  delete(keys: string[]): Promise<void> {
    return this.measure('delete', keys, () => this.inner.delete(keys));
  }

  list(prefix: string): Promise<string[]> {
    return this.measure('list', [prefix], () => this.inner.list(prefix));
  }

  health(): Promise<{ ok: boolean; detail: string }> {
    return this.inner.health();
  }

  private async measure<T>(operation: StorageOperation, keys: string[], run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const labels: Attributes = {
      'storage.operation': operation,
      'storage.collection': collectionOf(keys[0] ?? ''),
      'storage.area': this.area,
    };
    const span = trace.getActiveSpan()
      ? tracer(this.area).startSpan(`storage ${operation} ${labels['storage.collection']}`, {
          kind: SpanKind.CLIENT,
          attributes: { ...labels, 'storage.keys': keys.length },
        })
      : undefined;
    try {
      return await run();
    } catch (error) {
      if (isEtagConflict(error)) {
        labels['storage.outcome'] = 'etag_conflict';
        instruments().storageConflicts.add(1, {
          'storage.collection': labels['storage.collection'],
          'storage.area': this.area,
        });
      } else {
        labels['error.type'] = error instanceof Error ? error.name : 'unknown';
        if (span) failSpan(span, error);
      }
      throw error;
    } finally {
      span?.setAttributes(labels);
      span?.end();
      instruments().storageDuration.record(secondsSince(started), labels);
    }
  }
}

/** `operations/123` → `operations`; `audit-2026-11-23/x` → `audit-#-#-#` (one label, not one a day). */
function collectionOf(key: string): string {
  const slash = key.indexOf('/');
  return (slash < 0 ? key : key.slice(0, slash)).slice(0, 40).replace(/\d+/g, '#') || 'root';
}
