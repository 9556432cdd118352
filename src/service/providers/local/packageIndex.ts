/**
 * The emulator's `pip install`: resolves each requirement against the workspace's package index
 * and fails the way pip does when a package or a version does not exist. Packages from a private
 * feed and direct URL references are accepted as they are: the emulator cannot see those feeds.
 */
import type { RequirementLine } from '../../../domain/requirements';

export type VersionLookup = (name: string) => string[] | undefined;

export interface InstallResult {
  ok: boolean;
  /** pip-like output lines; for a failure, the ERROR lines. */
  output: string[];
  installed: string[];
}

export function installPackages(packages: RequirementLine[], lookup: VersionLookup): InstallResult {
  const installed: string[] = [];
  for (const pkg of packages) {
    const name = pkg.name ?? pkg.text;
    const wanted = `${name}${pkg.specifier ?? ''}`;
    if (pkg.url || pkg.privateFeed) {
      installed.push(name);
      continue;
    }
    const versions = lookup(name);
    const matching = (versions ?? []).filter((v) => satisfies(v, pkg.specifier ?? ''));
    if (matching.length === 0) {
      return {
        ok: false,
        installed,
        output: [
          `ERROR: Could not find a version that satisfies the requirement ${wanted} (from versions: ${versions?.join(', ') || 'none'})`,
          `ERROR: No matching distribution found for ${wanted}`,
        ],
      };
    }
    installed.push(`${name}==${matching.sort(compareVersions).at(-1)}`);
  }
  return { ok: true, installed, output: [`Successfully installed ${installed.join(' ')}`.trim()] };
}

/** True when `version` meets every clause of a specifier such as `>=1.2,<2` or `==2.*`. */
export function satisfies(version: string, specifier: string): boolean {
  if (!specifier.trim()) return true;
  return specifier.split(',').every((clause) => {
    const match = /^\s*(===|==|!=|~=|<=|>=|<|>)\s*(\S+)\s*$/.exec(clause);
    if (!match) return false;
    const [, op, target] = match;
    if (op === '===') return version === target;
    if (target.endsWith('.*')) {
      const prefix = target.slice(0, -2);
      const hit = version === prefix || version.startsWith(`${prefix}.`);
      return op === '!=' ? !hit : op === '==' && hit;
    }
    const c = compareVersions(version, target);
    switch (op) {
      case '==':
        return c === 0;
      case '!=':
        return c !== 0;
      case '<=':
        return c <= 0;
      case '>=':
        return c >= 0;
      case '<':
        return c < 0;
      case '>':
        return c > 0;
      default: {
        // ~=X.Y means >=X.Y and ==X.*
        const parts = target.split('.');
        const prefix = parts.slice(0, Math.max(1, parts.length - 1)).join('.');
        return c >= 0 && (version === prefix || version.startsWith(`${prefix}.`));
      }
    }
  });
}

/** Compares release numbers numerically; a pre-release suffix sorts before the release. */
export function compareVersions(a: string, b: string): number {
  const pa = split(a);
  const pb = split(b);
  for (let i = 0; i < Math.max(pa.nums.length, pb.nums.length); i++) {
    const d = (pa.nums[i] ?? 0) - (pb.nums[i] ?? 0);
    if (d !== 0) return d;
  }
  if (pa.pre === pb.pre) return 0;
  if (!pa.pre) return 1;
  if (!pb.pre) return -1;
  return pa.pre < pb.pre ? -1 : 1;
}

function split(version: string): { nums: number[]; pre: string } {
  const match = /^v?(\d+(?:\.\d+)*)(.*)$/.exec(version.trim());
  if (!match) return { nums: [], pre: version };
  return { nums: match[1].split('.').map(Number), pre: match[2] };
}
