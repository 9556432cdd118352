/**
 * Whether this process started an OpenTelemetry SDK (setup.ts). Every wrapper checks it when it is
 * applied and hands back the plain object while telemetry is off, so an untraced process pays
 * nothing: no spans, no timers, not even a call through the API's no-op tracer.
 */
let on = false;

export function telemetryOn(): boolean {
  return on;
}

/** Called once by startTelemetry, before the composition roots build anything. */
export function markTelemetryOn(): void {
  on = true;
}
