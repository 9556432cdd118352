/**
 * The sealing key file in the data folder: created once, complete or not at all, shared by replicas.
 * A kill -9 between creating the file and writing the key used to leave it empty, and every later
 * start then failed with "the sealing key must be 32 bytes".
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Sealer } from '../../../src/core/approvals/sealer';

const START = path.join(__dirname, 'fixtures/sealerStart.ts');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sealer-'));
  dirs.push(dir);
  return path.join(dir, 'bot');
}

function start(
  dir: string,
  mode = '',
): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', START, dir, ...(mode ? [mode] : [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c));
  child.stderr.on('data', (c: Buffer) => (err += c));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, err })));
}

describe('Sealer.fromConfig', () => {
  it('should start again after a kill -9 in the middle of writing the key file', async () => {
    const dir = dataDir();
    const crashed = await start(dir, 'crash');
    expect(crashed.signal).toBe('SIGKILL');
    const next = await start(dir);
    expect(next.err).toBe('');
    expect(next.code).toBe(0);
    expect(Sealer.fromConfig(undefined, dir).unseal(next.out)).toBe('sealed by a child');
  });

  it('should give every replica that starts at once the same key', async () => {
    const dir = dataDir();
    const results = await Promise.all(Array.from({ length: 4 }, () => start(dir)));
    const sealer = Sealer.fromConfig(undefined, dir);
    for (const r of results) {
      expect(r.code).toBe(0);
      expect(sealer.unseal(r.out)).toBe('sealed by a child');
    }
    expect(readdirSync(dir)).toEqual(['secret.key']); // no temp file left behind
  });

  it('should keep the key across starts', () => {
    const dir = dataDir();
    const sealed = Sealer.fromConfig(undefined, dir).seal({ token: 'x' });
    expect(Sealer.fromConfig(undefined, dir).unseal(sealed)).toEqual({ token: 'x' });
  });

  it('should say what to do about an empty key file an older version left behind', () => {
    const dir = dataDir();
    Sealer.fromConfig(undefined, dir);
    writeFileSync(path.join(dir, 'secret.key'), '');
    expect(() => Sealer.fromConfig(undefined, dir)).toThrow(
      /secret\.key is empty: a start was interrupted while creating it.*delete it/,
    );
  });
});
