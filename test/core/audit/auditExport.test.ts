import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/clock';
import { type AuditEntry, AuditLog } from '../../../src/core/audit/auditLog';
import { FileStorage } from '../../../src/storage/fileStorage';

const ROOT = path.resolve(__dirname, '../../..');
const run = promisify(execFile);

describe('audit export script', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'audit-export-'));
    // The script reads the bot's area of the data folder, as the bot writes it.
    const clock = new FakeClock(Date.parse('2026-11-01T08:00:00Z'));
    const log = new AuditLog(new FileStorage(path.join(dataDir, 'bot')), clock);
    for (const action of ['request', 'approve', 'execute'] as const) {
      await log.append({ action, actor: { id: 'aad-ada' }, runtime: 'rt-a', details: { secret: 's3cr3t' } });
      clock.advance(24 * 3_600_000);
    }
  });

  afterAll(async () => {
    await fsp.rm(dataDir, { recursive: true, force: true });
  });

  async function exportAudit(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      // node --import tsx, not npx tsx: one process instead of three (npx, the tsx CLI, node).
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/auditExport.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: dataDir, STORAGE: 'file' },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  it('should print every entry as one JSON line, oldest first', async () => {
    const { code, stdout } = await exportAudit();
    expect(code).toBe(0);
    const entries = stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry);
    expect(entries.map((e) => [e.action, e.at])).toEqual([
      ['request', '2026-11-01T08:00:00.000Z'],
      ['approve', '2026-11-02T08:00:00.000Z'],
      ['execute', '2026-11-03T08:00:00.000Z'],
    ]);
    expect(stdout).not.toContain('s3cr3t');
  });

  it('should keep to --since and --until', async () => {
    const { code, stdout } = await exportAudit('--since', '2026-11-02', '--until=2026-11-02');
    expect(code).toBe(0);
    expect(
      stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as AuditEntry).action),
    ).toEqual(['approve']);
  });

  it('should explain a bad date and exit with a usage error', async () => {
    const { code, stdout, stderr } = await exportAudit('--since', '2026-02-30');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('--since must be a date like 2026-11-01');
    expect(stderr).toContain('Usage: npm run audit-export');
  });

  it('should refuse an unknown argument and an empty range', async () => {
    expect((await exportAudit('--from', '2026-11-01')).stderr).toContain('unknown argument "--from"');
    const reversed = await exportAudit('--since', '2026-11-03', '--until', '2026-11-01');
    expect(reversed.code).toBe(2);
    expect(reversed.stderr).toContain('--since must be before --until');
  });
});
