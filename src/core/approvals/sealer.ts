/**
 * Seals an approval's request body (AES-256-GCM) while it waits for votes: an install request may
 * carry a private feed token, which must not sit in storage in clear, yet must reach the runtime
 * service when the request is approved. Replicas share the key through SECRETS_KEY or the data folder.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

export class Sealer {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the sealing key must be 32 bytes');
  }

  /** The key from SECRETS_KEY (base64), or a key file created once in the data folder. */
  static fromConfig(secretsKey: string | undefined, dataDir: string): Sealer {
    if (secretsKey) return new Sealer(Buffer.from(secretsKey, 'base64'));
    const file = path.join(dataDir, 'secret.key');
    return new Sealer(readKeyFile(file) ?? createKeyFile(file));
  }

  static random(): Sealer {
    return new Sealer(randomBytes(32));
  }

  seal(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64')).join('.');
  }

  unseal<T>(sealed: string): T {
    const [iv, tag, data] = sealed.split('.').map((p) => Buffer.from(p, 'base64'));
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAuthTag(tag);
    return JSON.parse(Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8')) as T;
  }
}

/** The key in the file, or undefined when there is no file yet. */
function readKeyFile(file: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!text)
    throw new Error(
      `${file} is empty: a start was interrupted while creating it (versions before keys were written atomically). ` +
        'No approval request was sealed with it: delete it and start again.',
    );
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key; restore it from a backup`);
  return key;
}

/**
 * Writes a new key to a temp file, flushed to disk, then links it into place: the key file appears
 * whole or not at all, so a kill -9 (or a power cut) mid-write cannot leave an empty one that every
 * later start refuses. Unlike rename, link fails when the file exists: the replica that loses the race
 * reads the winner's key, so all of them seal with the same one.
 */
function createKeyFile(file: string): Buffer {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, randomBytes(32).toString('base64'));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(temp, { force: true });
  }
  return readKeyFile(file)!;
}
