import { execFile } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AML_SCOPE, ARM_SCOPE, TokenEndpoint } from '../../../helpers/azureml/tokenEndpoint';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../../..');

/** What a provider does with nothing but configuration: a bare credential, TLS trust left to the process. */
const BARE_CREDENTIAL_SCRIPT = `
const { ClientSecretCredential } = require('@azure/identity');
const [tenant, clientId, secret, authorityHost] = process.argv.slice(1);
new ClientSecretCredential(tenant, clientId, secret, { authorityHost, disableInstanceDiscovery: true })
  .getToken('https://management.azure.com/.default')
  .then((t) => process.stdout.write(t.token), (e) => { process.stderr.write(e.message); process.exit(3); });
`;

describe('loopback token endpoint', () => {
  let tokens: TokenEndpoint;
  beforeAll(async () => {
    tokens = new TokenEndpoint();
    await tokens.start();
  });
  afterAll(async () => tokens.close());

  function raw(method: string, path: string, form?: Record<string, string>) {
    return new Promise<{ status: number; headers: Record<string, unknown>; json: any }>((resolve, reject) => {
      const body = form ? new URLSearchParams(form).toString() : undefined;
      const req = https.request(
        `${tokens.authorityHost}${path}`,
        { method, ca: tokens.info.ca, headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : {} },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, json: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('should give a real ClientSecretCredential a token through authorityHost, and let MSAL cache it', async () => {
    const before = tokens.requests.length;
    const credential = tokens.credential();
    const first = await credential.getToken(ARM_SCOPE);
    const second = await credential.getToken(ARM_SCOPE);
    expect(second!.token).toBe(first!.token);
    expect(tokens.requests.slice(before).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      `GET /${tokens.tenantId}/v2.0/.well-known/openid-configuration 200`,
      `POST /${tokens.tenantId}/oauth2/v2.0/token 200`,
    ]);
    const { issued, expired } = tokens.verify(first!.token)!;
    expect(expired).toBe(false);
    expect(issued).toMatchObject({ audience: 'https://management.azure.com', clientId: tokens.defaultClient.clientId });
    const claims = JSON.parse(Buffer.from(first!.token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({
      aud: 'https://management.azure.com',
      oid: tokens.defaultClient.objectId,
      tid: tokens.tenantId,
      appid: tokens.defaultClient.clientId,
    });
    const user = await credential.getToken(AML_SCOPE);
    expect(tokens.verify(user!.token)!.issued.audience).toBe('https://ml.azure.com');
  });

  it('should make a credential fetch again when tokens are short-lived (refresh-ahead)', async () => {
    tokens.expiresInSeconds = 120; // inside MSAL's 5-minute refresh window: every getToken goes to the endpoint
    try {
      const credential = tokens.credential();
      const before = tokens.tokenFetches(ARM_SCOPE);
      const a = await credential.getToken(ARM_SCOPE);
      const b = await credential.getToken(ARM_SCOPE);
      expect(tokens.tokenFetches(ARM_SCOPE) - before).toBe(2);
      expect(b!.token).not.toBe(a!.token);
      // MSAL counts expires_in from whole seconds: allow that second.
      expect(a!.expiresOnTimestamp - Date.now()).toBeLessThanOrEqual(121_000);
    } finally {
      tokens.expiresInSeconds = 3599;
    }
  });

  it('should refuse a wrong client secret with AADSTS7000215', async () => {
    const credential = tokens.credential(undefined, { secret: 'wrong' });
    await expect(credential.getToken(ARM_SCOPE)).rejects.toThrow(/AADSTS7000215: Invalid client secret provided/);
    expect(tokens.requests.at(-1)).toMatchObject({
      status: 401,
      error: 'AADSTS7000215',
      clientId: tokens.defaultClient.clientId,
    });
  });

  it('should answer unknown clients and tenants, bad scopes and injected faults like Entra ID', async () => {
    const tokenPath = `/${tokens.tenantId}/oauth2/v2.0/token`;
    const { clientId, clientSecret } = tokens.defaultClient;
    const unknown = await raw('POST', tokenPath, {
      grant_type: 'client_credentials',
      client_id: 'nobody',
      client_secret: 'x',
      scope: ARM_SCOPE,
    });
    expect([unknown.status, unknown.json.error, unknown.json.error_codes]).toEqual([
      400,
      'unauthorized_client',
      [700016],
    ]);
    const scope = await raw('POST', tokenPath, {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope: 'https://management.azure.com/user_impersonation',
    });
    expect([scope.status, scope.json.error]).toEqual([400, 'invalid_scope']);
    const tenant = await raw('GET', '/other-tenant/v2.0/.well-known/openid-configuration');
    expect(tenant.json.error_description).toMatch(/^AADSTS90002: Tenant 'other-tenant' not found/);
    tokens.inject({ status: 429, retryAfterSeconds: 3 });
    const throttled = await raw('POST', tokenPath, {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope: ARM_SCOPE,
    });
    expect([throttled.status, throttled.headers['retry-after']]).toEqual([429, '3']);
  });

  it('should need nothing but NODE_EXTRA_CA_CERTS at process start for a bare credential', async () => {
    const { tenantId, clientId, clientSecret } = tokens.defaultClient;
    const args = ['-e', BARE_CREDENTIAL_SCRIPT, tenantId, clientId, clientSecret, tokens.authorityHost];
    const withoutCa = { ...process.env };
    delete withoutCa.NODE_EXTRA_CA_CERTS;
    const [trusted, untrusted] = await Promise.all([
      run(process.execPath, args, { cwd: ROOT, env: tokens.childProcessEnv() }),
      run(process.execPath, args, { cwd: ROOT, env: withoutCa }).then(
        () => 'unexpectedly trusted',
        (e: { stderr: string }) => e.stderr,
      ),
    ]);
    expect(tokens.verify(trusted.stdout)?.issued.clientId).toBe(clientId);
    expect(untrusted).toMatch(/endpoints_resolution_error|self.signed|certificate/i);
  });

  it('should say whether this process trusts the certificate by itself', async () => {
    const configured = process.env.NODE_EXTRA_CA_CERTS;
    const expected =
      !!configured && fs.existsSync(configured) && fs.readFileSync(configured, 'utf8').includes(tokens.info.ca.trim());
    expect(await tokens.processTrustsCertificate()).toBe(expected);
  });
});
