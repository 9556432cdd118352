/**
 * Order statistics and the one result shape of the bench. Every figure carries the baseline it was
 * measured against in the same run, because on a shared, noisy machine only the ratio travels.
 */

/** The q-quantile (0..1) of the samples, nearest-rank; NaN when there are none. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

export const median = (samples: readonly number[]): number => quantile(samples, 0.5);
export const p50 = median;
export const p99 = (samples: readonly number[]): number => quantile(samples, 0.99);

export interface Figure {
  section: string;
  name: string;
  value: number;
  unit: string;
  /** The baseline's value, in the same unit, measured in the same run. */
  baseline: number;
  /** What the baseline is. */
  baselineName: string;
  /** value / baseline; null when the baseline is zero or not a number. */
  ratio: number | null;
  /** How the ratio reads: 'lower' when a smaller value is better (latency, bytes, seconds). */
  better: 'lower' | 'higher';
  note?: string;
}

export interface SectionResult {
  section: string;
  seconds: number;
  figures: Figure[];
  /** What a reader needs to trust the figures: checks made, bottlenecks found. */
  notes: string[];
}

export function figure(
  section: string,
  name: string,
  value: number,
  unit: string,
  baseline: { name: string; value: number },
  better: Figure['better'] = 'lower',
  note?: string,
): Figure {
  const ratio = Number.isFinite(value) && Number.isFinite(baseline.value) && baseline.value !== 0;
  return {
    section,
    name,
    value: round(value),
    unit,
    baseline: round(baseline.value),
    baselineName: baseline.name,
    ratio: ratio ? round(value / baseline.value) : null,
    better,
    ...(note ? { note } : {}),
  };
}

/** Four significant digits (one decimal from 1,000 up): enough for noisy figures, short in the JSON. */
export function round(n: number): number {
  if (!Number.isFinite(n) || n === 0) return n;
  return Math.abs(n) >= 1000 ? Math.round(n * 10) / 10 : Number(n.toPrecision(4));
}
