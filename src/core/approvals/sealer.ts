/**
 * Seals an approval's request body (AES-256-GCM) while it waits for votes: an install request may
 * carry a private feed token, which must not sit in storage in clear, yet must reach the runtime
 * service when the request is approved. Replicas share the key through SECRETS_KEY or the data folder.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export class Sealer {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the sealing key must be 32 bytes');
  }

  /** The key from SECRETS_KEY (base64), or a key file created once in the data folder. */
  static fromConfig(secretsKey: string | undefined, dataDir: string): Sealer {
    if (secretsKey) return new Sealer(Buffer.from(secretsKey, 'base64'));
    const file = path.join(dataDir, 'secret.key');
    try {
      return new Sealer(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'));
    } catch {
      mkdirSync(dataDir, { recursive: true });
      try {
        writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
      } catch {
        // another replica created it first: read theirs
      }
      return new Sealer(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'));
    }
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
