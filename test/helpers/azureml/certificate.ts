/**
 * The self-signed certificate for 127.0.0.1 that the loopback token endpoint serves (testing-notes.md: @azure/identity
 * refuses an http authorityHost). Made once with `openssl req -x509` and cached on disk in a fixed place,
 * `<tmpdir>/promptflow-bot-test-ca/{cert,key}.pem`, so that a path known before any test process starts can be given
 * to NODE_EXTRA_CA_CERTS of a child process (tokenEndpoint.ts, `childProcessEnv()`). It is valid for 30 days and made again when less than a day is left,
 * or when the files are missing or do not match.
 *
 * Concurrent test processes may race to create it: each writes a private temp directory and renames it into place;
 * a rename that loses the race fails and the loser reads the winner's files.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TEST_CA_DIR = path.join(os.tmpdir(), 'promptflow-bot-test-ca');

const VALID_DAYS = 30;
const MIN_REMAINING_MS = 24 * 3600_000;

export interface TestCertificate {
  dir: string;
  certPath: string;
  keyPath: string;
  /** PEM; also the CA to trust, since the certificate is self-signed. */
  cert: string;
  key: string;
}

const cache = new Map<string, TestCertificate>();

/** The cached certificate, made with openssl when missing or about to expire. */
export function ensureTestCertificate(dir = TEST_CA_DIR): TestCertificate {
  const known = cache.get(dir);
  if (known && usable(known)) return known;
  let certificate = read(dir);
  if (!certificate) {
    create(dir);
    certificate = read(dir);
    if (!certificate) throw new Error(`Could not create a usable test certificate in ${dir}`);
  }
  cache.set(dir, certificate);
  return certificate;
}

function create(dir: string): void {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(`${dir}.tmp-`); // mode 0700: the key stays private
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        path.join(tmp, 'key.pem'),
        '-out',
        path.join(tmp, 'cert.pem'),
        '-days',
        String(VALID_DAYS),
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'pipe' },
    );
    if (fs.existsSync(dir) && !read(dir)) fs.rmSync(dir, { recursive: true, force: true }); // stale or broken
    try {
      fs.renameSync(tmp, dir);
    } catch {
      // Another process put its certificate in place first: use that one.
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function read(dir: string): TestCertificate | undefined {
  try {
    const certPath = path.join(dir, 'cert.pem');
    const keyPath = path.join(dir, 'key.pem');
    const certificate = {
      dir,
      certPath,
      keyPath,
      cert: fs.readFileSync(certPath, 'utf8'),
      key: fs.readFileSync(keyPath, 'utf8'),
    };
    return usable(certificate) ? certificate : undefined;
  } catch {
    return undefined;
  }
}

function usable(certificate: TestCertificate): boolean {
  try {
    const x509 = new X509Certificate(certificate.cert);
    return (
      Date.parse(x509.validTo) - Date.now() > MIN_REMAINING_MS &&
      x509.checkPrivateKey(createPrivateKey(certificate.key)) &&
      x509.checkIP('127.0.0.1') === '127.0.0.1'
    );
  } catch {
    return false;
  }
}
