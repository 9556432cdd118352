/**
 * `npm run audit-export -- [--since 2026-11-01] [--until 2026-11-30]`: prints the bot's audit trail
 * as JSON lines, oldest first. A bare `--until` date includes that whole day.
 */
import 'dotenv/config';
import { once } from 'node:events';
import { systemClock } from '../src/clock';
import { loadConfig } from '../src/config';
import { AuditLog, parseAuditBound } from '../src/core/audit/auditLog';
import { createStorage } from '../src/storage';

const USAGE = 'Usage: npm run audit-export -- [--since YYYY-MM-DD|ISO time] [--until YYYY-MM-DD|ISO time]';

class UsageError extends Error {}

function parseArgs(args: string[]): { since?: string; until?: string } {
  const out: { since?: string; until?: string } = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    if (flag === '--help' || flag === '-h') throw new UsageError('');
    if (flag !== '--since' && flag !== '--until') throw new UsageError(`unknown argument "${args[i]}"`);
    const value = inline ?? args[++i];
    if (value === undefined || value === '') throw new UsageError(`${flag} needs a date`);
    const name = flag === '--since' ? 'since' : 'until';
    try {
      parseAuditBound(value, name);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    out[name] = value;
  }
  if (out.since && out.until && parseAuditBound(out.since, 'since') >= parseAuditBound(out.until, 'until')) {
    throw new UsageError('--since must be before --until');
  }
  return out;
}

async function main(): Promise<void> {
  const range = parseArgs(process.argv.slice(2));
  const config = loadConfig();
  if (config.storage === 'memory') process.stderr.write('STORAGE=memory keeps nothing between runs: no entries.\n');
  const log = new AuditLog(await createStorage(config, 'bot'), systemClock);
  for await (const line of log.export(range)) {
    // Respect back-pressure, so that a long trail piped into a slow reader does not pile up in memory.
    if (!process.stdout.write(`${line}\n`)) await once(process.stdout, 'drain');
  }
}

main().catch((error: Error) => {
  if (error instanceof UsageError && !error.message) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
