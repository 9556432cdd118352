/**
 * Optional vitest globalSetup: makes every test worker trust the loopback token endpoint's certificate through
 * NODE_EXTRA_CA_CERTS, so that code which builds its own ClientSecretCredential (with nothing but `authorityHost`)
 * can get tokens in-process.
 *
 * Why this works: Node reads NODE_EXTRA_CA_CERTS once, at process start. globalSetup runs in vitest's main process
 * before the pool forks its workers, and vitest 4 gives each forked worker `{ ...process.env, ...test.env }` as read
 * when the run starts (cli-api chunk, `projectEnvs`). So setting process.env here reaches the workers' start-up, while
 * setting it inside a test file is too late. It is not wired into vitest.config.mts; to use it add
 * `globalSetup: ['test/helpers/azureml/globalSetup.ts']` under `test`. Without it, pass `tokens.credentialOptions()`
 * (an explicit `tlsOptions.ca`) or run the code in a child process with `childProcessEnv()` from tokenEndpoint.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ensureTestCertificate } from './certificate';

export default function setup(): () => void {
  const { certPath, cert, dir } = ensureTestCertificate();
  const file = extraCaFile(certPath, cert, dir, process.env.NODE_EXTRA_CA_CERTS);
  process.env.NODE_EXTRA_CA_CERTS = file;
  return () => {
    if (file !== certPath) fs.rmSync(file, { force: true });
  };
}

/** Node takes a single file: when another one is configured already, trust both through a combined bundle. */
export function extraCaFile(certPath: string, cert: string, dir: string, existing: string | undefined): string {
  if (!existing || path.resolve(existing) === certPath) return certPath;
  if (!fs.existsSync(existing)) return certPath; // Node ignores a missing file too, with a warning
  const other = fs.readFileSync(existing, 'utf8');
  const bundle = path.join(dir, `bundle-${process.pid}.pem`);
  fs.writeFileSync(bundle, `${other.trimEnd()}\n${cert}`);
  return bundle;
}
