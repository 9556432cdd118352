/**
 * The fake's `pip install -r requirements.txt` for sessions: each requirement line is resolved against a small
 * package index and fails the way pip does. Lines after an index option (`-i`, `--index-url`, `--extra-index-url`,
 * `-f`) are taken as they are: the fake cannot see private feeds. Pinning `promptflow`/`promptflow-tools` succeeds
 * with pip's dependency-conflict report, which Azure returns in `error.message` of a *Succeeded* poll result.
 * Credentials in URLs are masked in every message, as pip masks them.
 */

export type PackageIndex = Record<string, string[]>;

export const DEFAULT_PACKAGE_INDEX: PackageIndex = {
  promptflow: ['1.16.0', '1.17.1', '1.17.2'],
  'promptflow-tools': ['1.5.0', '1.6.0'],
  requests: ['2.31.0', '2.32.3'],
  numpy: ['1.26.4', '2.1.3'],
  pandas: ['2.2.2', '2.2.3'],
  openai: ['1.55.0', '1.58.1'],
  tiktoken: ['0.7.0', '0.8.0'],
  langchain: ['0.2.16', '0.3.13'],
  'azure-identity': ['1.17.1', '1.19.0'],
  'azure-search-documents': ['11.4.0', '11.5.2'],
  beautifulsoup4: ['4.12.3'],
  pyyaml: ['6.0.1', '6.0.2'],
};

/** `pip freeze` of the base image, before any requirement is installed. */
export const BASE_IMAGE_FREEZE = [
  'openai==1.58.1',
  'promptflow==1.17.2',
  'promptflow-tools==1.6.0',
  'requests==2.32.3',
];

export interface PipResult {
  ok: boolean;
  /** name==version lines after the install, sorted. */
  freeze: string[];
  /** pip's output: the ERROR lines of a failure, or the dependency-conflict report of a pinned base package. */
  stderr: string;
  stdout: string;
}

const OPERATOR = '(?:===|==|!=|~=|<=|>=|<|>)';
const REQUIREMENT = new RegExp(
  `^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\\s*(\\[[^\\]]*\\])?\\s*((?:${OPERATOR}\\s*[A-Za-z0-9.*+!_-]+\\s*,?\\s*)*)(?:;.*)?$`,
);

export function mask(text: string): string {
  return text.replace(/(\w+:\/\/)[^/@\s]+@/g, '$1****@');
}

export function pipInstall(lines: readonly string[], current: readonly string[], index: PackageIndex): PipResult {
  const freeze = new Map(current.map((line) => [normalize(line.split('==')[0]), line]));
  const conflicts: string[] = [];
  let privateFeed = false;
  const installedNow: string[] = [];
  for (const raw of lines) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    if (/^(-i|--index-url|--extra-index-url|-f|--find-links)(\s|=)/.test(line)) {
      privateFeed = true;
      continue;
    }
    if (/^(-r|--requirement|-c|--constraint|-e|--editable)(\s|=)/.test(line)) {
      return failure(current, [
        `ERROR: Could not open requirements file: [Errno 2] No such file or directory: '${mask(line.split(/\s|=/).slice(1).join(' ').trim())}'`,
      ]);
    }
    const direct = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*@\s*\S+$/.exec(line);
    if (direct) {
      record(direct[1], '0.0.0+direct');
      continue;
    }
    const match = REQUIREMENT.exec(line);
    if (!match || line.startsWith('-')) return failure(current, [`ERROR: Invalid requirement: '${mask(line)}'`]);
    const name = normalize(match[1]);
    const specifier = match[3].replace(/\s+/g, '').replace(/,$/, '');
    const versions = index[name];
    if (!versions) {
      if (privateFeed) {
        record(name, '1.0.0');
        continue;
      }
      return failure(current, notFound(`${match[1]}${specifier}`, []));
    }
    const matching = versions.filter((v) => specifier.split(',').every((clause) => satisfies(v, clause)));
    if (matching.length === 0) return failure(current, notFound(`${match[1]}${specifier}`, versions));
    const chosen = matching.sort(compareVersions).at(-1)!;
    if ((name === 'promptflow' || name === 'promptflow-tools') && freeze.get(name) !== `${name}==${chosen}`) {
      conflicts.push(
        `promptflow-runtime 1.0.0 requires ${name}==${freeze.get(name)?.split('==')[1] ?? 'any'}, but you have ${name} ${chosen} which is incompatible.`,
      );
    }
    record(name, chosen);
  }
  return {
    ok: true,
    freeze: [...freeze.values()].sort(),
    stdout: installedNow.length
      ? `Successfully installed ${installedNow.join(' ')}`
      : 'Requirements already satisfied.',
    stderr: conflicts.length
      ? [
          "ERROR: pip's dependency resolver does not currently take into account all the packages that are installed. This behaviour is the source of the following dependency conflicts.",
          ...conflicts,
        ].join('\n')
      : '',
  };

  function record(name: string, version: string): void {
    const key = normalize(name);
    if (freeze.get(key) !== `${key}==${version}`) installedNow.push(`${key}-${version}`);
    freeze.set(key, `${key}==${version}`);
  }
}

function failure(current: readonly string[], errors: string[]): PipResult {
  return { ok: false, freeze: [...current].sort(), stdout: '', stderr: errors.join('\n') };
}

function notFound(wanted: string, versions: string[]): string[] {
  return [
    `ERROR: Could not find a version that satisfies the requirement ${wanted} (from versions: ${versions.join(', ') || 'none'})`,
    `ERROR: No matching distribution found for ${wanted}`,
  ];
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/[._]+/g, '-');
}

function satisfies(version: string, clause: string): boolean {
  if (!clause) return true;
  const m = /^(===|==|!=|~=|<=|>=|<|>)(.+)$/.exec(clause);
  if (!m) return false;
  const [, op, wanted] = m;
  if (wanted.endsWith('.*')) {
    const prefix = wanted.slice(0, -1);
    return op === '!=' ? !version.startsWith(prefix) : version.startsWith(prefix);
  }
  const c = compareVersions(version, wanted);
  switch (op) {
    case '==':
    case '===':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
    default: {
      // ~=X.Y means >=X.Y, ==X.*
      const parts = wanted.split('.');
      return c >= 0 && version.startsWith(`${parts.slice(0, -1).join('.')}.`);
    }
  }
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}
