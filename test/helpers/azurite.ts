/**
 * Azurite's blob service (the npm package, a devDependency) for tests: a real Azure Storage API on
 * a free loopback port, its data in a temporary folder. `stop` and `restart` keep the folder and
 * the port, so a test can take storage away mid-way and bring it back with its data; `dispose`
 * stops it and removes the folder.
 *
 * The script is run directly (not through the `azurite-blob` shim), so the child's pid is the
 * server's own and a signal reaches it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MAIN = path.resolve(__dirname, '../../node_modules/azurite/dist/src/blob/main.js');

/** Azurite's well-known development account (public, in Azurite's README). */
export const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Serve HTTPS with this certificate (PEM files); needed for OAuth. */
  tls?: { cert: string; key: string };
  /** Accept bearer tokens (Azurite's `--oauth basic`: checks audience, issuer and expiry, not the signature). */
  oauth?: boolean;
  /**
   * Keep the data in memory (`--inMemoryPersistence`): the same API, without Azurite writing its
   * metadata database and every blob to disk, which is most of its CPU under load. The data does not
   * survive `stop()`: only for servers that are never restarted.
   */
  inMemory?: boolean;
}

export interface Azurite {
  blobPort: number;
  /** http(s)://127.0.0.1:<port>/devstoreaccount1 */
  blobEndpoint: string;
  /** Shared-key connection string for the development account. */
  connectionString: string;
  /** The data folder; it outlives stop() and restart(). */
  location: string;
  /** Whether the server is running now. */
  readonly running: boolean;
  /** Stops the server as an outage would look to clients (the port refuses connections); keeps the data. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data folder. */
  restart(): Promise<void>;
  /** Stops it and removes its data folder. */
  dispose(): Promise<void>;
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const location = await fs.mkdtemp(path.join(os.tmpdir(), 'azurite-'));
  const protocol = options.tls ? 'https' : 'http';
  let child: ChildProcess | undefined;
  let port = 0;

  const launch = async () => {
    const args = [
      MAIN,
      ...['--blobHost', '127.0.0.1', '--blobPort', String(port)],
      ...(options.inMemory ? ['--inMemoryPersistence'] : ['--location', location]),
      ...['--silent', '--skipApiVersionCheck', '--loose', '--disableTelemetry'],
      ...(options.tls ? ['--cert', options.tls.cert, '--key', options.tls.key] : []),
      ...(options.oauth ? ['--oauth', 'basic'] : []),
    ];
    const started = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    port = await listeningPort(started);
  };
  const halt = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM'); // Azurite saves its metadata on SIGTERM
    const timer = setTimeout(() => running.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  // A test run that dies must not leave a server behind.
  const onExit = () => child?.kill('SIGKILL');
  process.once('exit', onExit);

  await launch();
  const blobEndpoint = `${protocol}://127.0.0.1:${port}/${DEV_ACCOUNT}`;
  return {
    blobPort: port,
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=${protocol};AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};BlobEndpoint=${blobEndpoint};`,
    location,
    get running() {
      return child !== undefined;
    },
    stop: halt,
    restart: async () => {
      await halt();
      await launch();
    },
    dispose: async () => {
      await halt();
      process.removeListener('exit', onExit);
      await fs.rm(location, { recursive: true, force: true });
    },
  };
}

/** Waits for Azurite's "successfully listens on <url>" line and returns the port it names. */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`Azurite did not start within 20 s:\n${output}`)), 20_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /successfully listens on https?:\/\/[^\s:]+:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume(); // keep the pipe drained
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => fail(new Error(`Azurite exited with ${code} before it listened:\n${output}`)));
  });
}
