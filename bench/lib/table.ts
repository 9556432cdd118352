/** The Markdown the bench prints and saves: a machine line, then one table per section. */
import type { Figure, SectionResult } from './stats';

export interface Machine {
  cpus: number;
  cpuModel: string;
  totalMemoryGB: number;
  node: string;
  os: string;
  loadAverage: number[];
  commit?: string;
}

export function fmt(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '—';
  const abs = Math.abs(n);
  if (abs >= 100) return Math.round(n).toLocaleString('en-US');
  if (abs >= 10) return n.toFixed(1);
  if (abs >= 1) return n.toFixed(2);
  return n.toPrecision(2);
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function ratioText(f: Figure): string {
  if (f.ratio === null) return '—';
  const r = f.ratio;
  return `${r >= 100 ? Math.round(r) : r >= 10 ? r.toFixed(1) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×`;
}

export function sectionTable(result: SectionResult): string {
  const lines = [
    `### ${result.section} (${result.seconds.toFixed(0)} s)`,
    '',
    '| Figure | Value | Baseline (same run) | Ratio |',
    '| --- | ---: | --- | ---: |',
    ...result.figures.map(
      (f) =>
        `| ${cell(f.name)} | ${fmt(f.value)} ${f.unit} | ${cell(f.baselineName)}: ${fmt(f.baseline)} ${f.unit} | ${ratioText(f)} |`,
    ),
  ];
  if (result.notes.length) lines.push('', ...result.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

export function report(machine: Machine, date: string, wallSeconds: number, results: SectionResult[]): string {
  return [
    `## npm run bench — ${date}`,
    '',
    `${machine.cpus} CPUs (${machine.cpuModel}), ${machine.totalMemoryGB} GB, Node ${machine.node}, ${machine.os}; ` +
      `load average at start ${machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}` +
      `${machine.commit ? `; commit ${machine.commit.slice(0, 10)}` : ''}. Total wall time ${wallSeconds.toFixed(0)} s.`,
    '',
    'Ratio = value / baseline, both measured in this run; lower is better for times, sizes and memory, higher for throughput.',
    '',
    ...results.flatMap((r) => [sectionTable(r), '']),
  ].join('\n');
}
