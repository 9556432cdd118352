/**
 * Reads settings from an environment and collects every problem instead of stopping at the first, so
 * that a bad start-up lists all of them at once. Each reader returns the fallback on a bad value.
 */
export interface EnvReader {
  /** The trimmed value; undefined when unset or blank. */
  str(name: string): string | undefined;
  int(name: string, fallback: number, min: number, max: number): number;
  num(name: string, fallback: number, min: number, max: number): number;
  bool(name: string, fallback: boolean): boolean;
  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T;
  /** A comma-separated list, blanks dropped. */
  list(name: string): string[];
  /** An https URL (http only to loopback), or undefined with a problem recorded. */
  httpsUrl(name: string): URL | undefined;
  readonly problems: string[];
}

export const GUID = /^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function envReader(env: NodeJS.ProcessEnv): EnvReader {
  const problems: string[] = [];
  const str = (name: string) => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const number = (name: string, fallback: number, min: number, max: number, whole: boolean) => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!(whole ? Number.isInteger(n) : Number.isFinite(n)) || n < min || n > max)
      problems.push(`${name} must be a ${whole ? 'whole number' : 'number'} from ${min} to ${max} (got "${raw}")`);
    return n;
  };
  return {
    problems,
    str,
    int: (name, fallback, min, max) => number(name, fallback, min, max, true),
    num: (name, fallback, min, max) => number(name, fallback, min, max, false),
    bool(name, fallback) {
      const raw = str(name)?.toLowerCase();
      if (raw === undefined) return fallback;
      if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
      if (['0', 'false', 'no', 'off'].includes(raw)) return false;
      problems.push(`${name} must be true or false (got "${raw}")`);
      return fallback;
    },
    oneOf(name, values, fallback) {
      const raw = str(name);
      if (raw === undefined) return fallback;
      const found = values.find((v) => v.toLowerCase() === raw.toLowerCase());
      if (!found) problems.push(`${name} must be one of ${values.join(', ')} (got "${raw}")`);
      return found ?? fallback;
    },
    list: (name) =>
      (str(name) ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    httpsUrl(name) {
      const raw = str(name);
      if (raw === undefined) return undefined;
      const parsed = URL.canParse(raw) ? new URL(raw) : undefined;
      if (!parsed || !(parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopback(parsed.hostname)))) {
        problems.push(`${name} must be an https URL (got "${raw}")`);
        return undefined;
      }
      return parsed;
    },
  };
}
