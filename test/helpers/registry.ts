/**
 * A real OCI registry for tests: Debian's `docker-registry` (distribution 2.8) on a free loopback
 * port, with its own config (no auth), pushed to over its HTTP API without a docker client.
 * See docs in /work/shared/reference/testing-notes.md, "OCI image registry".
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { vi } from 'vitest';
import { freePort } from './freePort';

export const DOCKER_REGISTRY = '/usr/bin/docker-registry';
export const hasDockerRegistry = (): boolean => existsSync(DOCKER_REGISTRY);

export interface RealRegistry {
  url: string;
  port: number;
  /** Pushes a tiny image under each tag (the same manifest for all). */
  push(repository: string, ...tags: string[]): Promise<void>;
  tags(repository: string): Promise<string[]>;
  /** Stops the process (TERM); `start()` brings it back on the same port and storage. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and deletes its files. */
  close(): Promise<void>;
}

/**
 * `filesystem` storage survives a stop and start; `memory` lists tags in byte order, so
 * 20240429.v10 comes before 20240429.v8.
 */
export async function startRealRegistry(storage: 'memory' | 'filesystem' = 'memory'): Promise<RealRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'registry-'));
  const port = await freePort();
  const storageYaml = storage === 'memory' ? '{inmemory: {}}' : `{filesystem: {rootdirectory: ${dir}/data}}`;
  const configFile = path.join(dir, 'config.yml');
  writeFileSync(
    configFile,
    [
      'version: 0.1',
      'log: {level: error, accesslog: {disabled: true}}',
      `storage: ${storageYaml}`,
      `http: {addr: 127.0.0.1:${port}}`,
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    output = '';
    const proc = spawn(DOCKER_REGISTRY, ['serve', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const keep = (d: Buffer) => (output = (output + d.toString()).slice(-4000));
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    await vi.waitFor(
      async () => {
        if (proc.exitCode !== null)
          throw new Error(`docker-registry exited (${proc.exitCode}): ${output.slice(-1000)}`);
        const ok = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(500) })
          .then((r) => r.status === 200)
          .catch(() => false);
        if (!ok) throw new Error(`docker-registry did not answer on ${url}: ${output.slice(-1000)}`);
      },
      { interval: 50, timeout: 15_000 },
    );
  };

  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 8000);
    await exited;
    clearTimeout(killer);
  };

  await start();
  return {
    url,
    port,
    start,
    stop,
    push: (repository, ...tags) => pushTags(url, repository, tags),
    async tags(repository) {
      const res = await fetch(`${url}/v2/${repository}/tags/list`);
      return res.status === 200 ? (((await res.json()) as { tags: string[] | null }).tags ?? []) : [];
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function pushTags(url: string, repository: string, tags: string[]): Promise<void> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' } }));
  const layer = Buffer.from(`layer of ${repository}`);
  const configDigest = await pushBlob(url, repository, config);
  const layerDigest = await pushBlob(url, repository, layer);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
  });
  for (const tag of tags) {
    const res = await fetch(`${url}/v2/${repository}/manifests/${tag}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      body: manifest,
    });
    if (res.status !== 201) throw new Error(`manifest PUT for ${tag} answered ${res.status}: ${await res.text()}`);
  }
}

async function pushBlob(url: string, repository: string, blob: Buffer): Promise<string> {
  const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
  const started = await fetch(`${url}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  const location = started.headers.get('location');
  if (started.status !== 202 || !location) throw new Error(`blob upload POST answered ${started.status}`);
  const target = new URL(location, url);
  target.searchParams.set('digest', digest);
  const res = await fetch(target, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: blob,
  });
  if (res.status !== 201) throw new Error(`blob PUT answered ${res.status}: ${await res.text()}`);
  return digest;
}
