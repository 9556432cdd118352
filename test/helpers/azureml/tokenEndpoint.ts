/**
 * A loopback Microsoft Entra token endpoint for @azure/identity, over HTTPS on 127.0.0.1 with the self-signed
 * certificate of certificate.ts. A real `ClientSecretCredential` (and the MSAL inside it) talks to it through
 * `authorityHost`; nothing in @azure/identity is stubbed. It serves
 *   GET  /<tenant>/v2.0/.well-known/openid-configuration   (MSAL's authority metadata)
 *   POST /<tenant>/oauth2/v2.0/token                       (grant_type=client_credentials, client_id, client_secret)
 * and issues JWT-shaped (unsigned) or opaque tokens for `<resource>/.default` scopes. Wrong secrets, unknown clients,
 * unknown tenants and bad scopes fail with AADSTS-style error JSON. The fake Azure ML API asks `verify()` whether a
 * bearer token is one this endpoint issued, for which audience, and whether it has expired.
 *
 * TLS trust (Node reads NODE_EXTRA_CA_CERTS only at process start, so a test cannot set it for itself):
 *  - in-process, `credentialOptions()` gives `{ authorityHost, disableInstanceDiscovery: true, tlsOptions: { ca } }`.
 *    `tlsOptions` is core-rest-pipeline's documented PipelineOptions field, which ClientSecretCredential's options
 *    extend; MSAL sends its requests through that pipeline (the credential's IdentityClient is MSAL's networkClient),
 *    so the certificate is verified against this CA and nothing else. No `rejectUnauthorized: false` anywhere.
 *  - for code that builds its own credential from `authorityHost` only: run it in a child process started with
 *    `childProcessEnv()` (NODE_EXTRA_CA_CERTS=<cert path>). `processTrustsCertificate()` tells which case the
 *    current process is in.
 */
import { ClientSecretCredential, type ClientSecretCredentialOptions } from '@azure/identity';
import { randomUUID } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { ensureTestCertificate, type TestCertificate } from './certificate';
import { aadError, accessToken, openIdConfiguration } from './entra';

export const ARM_SCOPE = 'https://management.azure.com/.default';
export const AML_SCOPE = 'https://ml.azure.com/.default';
export const DEFAULT_TENANT_ID = '11111111-2222-3333-4444-555555555555';

export interface TokenClient {
  clientId: string;
  clientSecret: string;
  /** The service principal's object id: the `oid` claim. */
  objectId: string;
  tenantId: string;
}

export interface TokenEndpointOptions {
  tenantId?: string;
  /** Registered applications; without any, one client is made (see `defaultClient`). */
  clients?: Array<Partial<TokenClient> & { clientId: string; clientSecret: string }>;
  /** `expires_in` of issued tokens, in seconds (default 3599). */
  expiresInSeconds?: number;
  /** `refresh_in`, in seconds: MSAL refreshes proactively after it (default: not sent). */
  refreshInSeconds?: number;
  /** 'jwt' (default): base64url header.payload.signature with aud/iss/tid/oid/appid/exp claims; signature is junk. */
  tokenFormat?: 'jwt' | 'opaque';
}

export interface IssuedToken {
  token: string;
  clientId: string;
  objectId: string;
  tenantId: string;
  scope: string;
  /** The scope without `/.default`, e.g. https://management.azure.com */
  audience: string;
  issuedAt: number;
  expiresAt: number;
}

export interface TokenRequestRecord {
  method: string;
  path: string;
  status: number;
  grantType?: string;
  clientId?: string;
  scope?: string;
  /** The AADSTS code of a failure, e.g. 'AADSTS7000215'. */
  error?: string;
}

export interface TokenEndpointInfo {
  authorityHost: string;
  tenantId: string;
  certPath: string;
  ca: string;
}

export interface TokenFault {
  status: 429 | 500 | 503 | 504;
  times?: number;
  retryAfterSeconds?: number;
}

export class TokenEndpoint {
  readonly tenantId: string;
  readonly clients = new Map<string, TokenClient>();
  readonly requests: TokenRequestRecord[] = [];
  readonly issued: IssuedToken[] = [];
  expiresInSeconds: number;
  refreshInSeconds: number | undefined;
  readonly tokenFormat: 'jwt' | 'opaque';
  private readonly byToken = new Map<string, IssuedToken>();
  private readonly faults: Array<Required<Pick<TokenFault, 'status' | 'times'>> & TokenFault> = [];
  private server?: https.Server;
  private certificate?: TestCertificate;
  private host = '';

  constructor(options: TokenEndpointOptions = {}) {
    this.tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
    this.expiresInSeconds = options.expiresInSeconds ?? 3599;
    this.refreshInSeconds = options.refreshInSeconds;
    this.tokenFormat = options.tokenFormat ?? 'jwt';
    const clients = options.clients?.length
      ? options.clients
      : [{ clientId: randomUUID(), clientSecret: `secret-${randomUUID()}` }];
    for (const client of clients) this.addClient(client);
  }

  async start(): Promise<TokenEndpointInfo> {
    this.certificate = ensureTestCertificate();
    const server = https.createServer({ key: this.certificate.key, cert: this.certificate.cert }, (req, res) =>
      this.handle(req, res),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.host = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.info;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get info(): TokenEndpointInfo {
    if (!this.certificate || !this.host) throw new Error('TokenEndpoint: call start() first');
    return {
      authorityHost: this.host,
      tenantId: this.tenantId,
      certPath: this.certificate.certPath,
      ca: this.certificate.cert,
    };
  }

  get authorityHost(): string {
    return this.info.authorityHost;
  }

  /** The first registered client. */
  get defaultClient(): TokenClient {
    return this.clients.values().next().value as TokenClient;
  }

  addClient(client: Partial<TokenClient> & { clientId: string; clientSecret: string }): TokenClient {
    const full: TokenClient = { objectId: randomUUID(), tenantId: this.tenantId, ...client };
    this.clients.set(full.clientId, full);
    return full;
  }

  /** Options for a real ClientSecretCredential against this endpoint. 'process' leaves TLS trust to the process. */
  credentialOptions(trust: 'explicit' | 'process' = 'explicit'): ClientSecretCredentialOptions {
    const { authorityHost, ca } = this.info;
    return { authorityHost, disableInstanceDiscovery: true, ...(trust === 'explicit' ? { tlsOptions: { ca } } : {}) };
  }

  /** A real ClientSecretCredential for a registered client (default: `defaultClient`). */
  credential(clientId = this.defaultClient.clientId, options: { secret?: string } = {}): ClientSecretCredential {
    const client = this.clients.get(clientId);
    if (!client) throw new Error(`TokenEndpoint: no client ${clientId}`);
    return new ClientSecretCredential(
      client.tenantId,
      client.clientId,
      options.secret ?? client.clientSecret,
      this.credentialOptions(),
    );
  }

  /** Environment for a child process that trusts this endpoint through NODE_EXTRA_CA_CERTS. */
  childProcessEnv(): NodeJS.ProcessEnv {
    return { ...process.env, NODE_EXTRA_CA_CERTS: this.info.certPath };
  }

  /** Whether this process trusts the certificate without help, i.e. it started with NODE_EXTRA_CA_CERTS set. */
  async processTrustsCertificate(): Promise<boolean> {
    const url = `${this.authorityHost}/${this.tenantId}/v2.0/.well-known/openid-configuration`;
    return new Promise((resolve) => {
      const req = https.get(url, { agent: new https.Agent() }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
    });
  }

  /** Issues a token directly, without HTTP (for tests that are not about authentication). */
  issue(clientId = this.defaultClient.clientId, scope = ARM_SCOPE, expiresInSeconds = this.expiresInSeconds): string {
    const client = this.clients.get(clientId);
    if (!client) throw new Error(`TokenEndpoint: no client ${clientId}`);
    return this.mint(client, scope, expiresInSeconds).token;
  }

  /** What the fake API needs to know about a bearer token; undefined when this endpoint did not issue it. */
  verify(token: string): { issued: IssuedToken; expired: boolean } | undefined {
    const issued = this.byToken.get(token);
    return issued && { issued, expired: issued.expiresAt <= Date.now() };
  }

  /** Makes issued tokens expired for the API (all, or one), while MSAL's cache still holds them. */
  expire(token?: string): void {
    for (const issued of this.issued) if (token === undefined || issued.token === token) issued.expiresAt = 0;
  }

  /** The next `times` token requests fail with `status` (429/503 with Retry-After). */
  inject(fault: TokenFault): void {
    this.faults.push({ times: 1, ...fault });
  }

  /** Successful token requests over HTTP, optionally for one scope. */
  tokenFetches(scope?: string): number {
    return this.requests.filter((r) => r.method === 'POST' && r.status === 200 && (!scope || r.scope === scope)).length;
  }

  private handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', this.host);
      const record: TokenRequestRecord = { method: req.method ?? 'GET', path: url.pathname, status: 0 };
      this.requests.push(record);
      const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
        record.status = status;
        res.writeHead(status, {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
          ...headers,
        });
        res.end(JSON.stringify(body));
      };
      const fail = (status: number, error: string, code: number, description: string): void => {
        record.error = `AADSTS${code}`;
        send(status, aadError(this.host, error, code, description));
      };
      const match = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(url.pathname);
      if (!match) return fail(404, 'invalid_request', 900561, `The endpoint ${url.pathname} does not exist.`);
      const tenant = decodeURIComponent(match[1]);
      if (![...this.clients.values()].some((c) => c.tenantId === tenant) && tenant !== this.tenantId) {
        return fail(
          400,
          'invalid_tenant',
          90002,
          `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID.`,
        );
      }
      if (match[2].startsWith('v2.0')) {
        if (req.method !== 'GET')
          return fail(405, 'invalid_request', 900561, 'The endpoint only accepts GET requests.');
        return send(200, openIdConfiguration(this.host, tenant));
      }
      if (req.method !== 'POST')
        return fail(405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
      const form = new URLSearchParams(raw);
      record.grantType = form.get('grant_type') ?? undefined;
      record.clientId = form.get('client_id') ?? undefined;
      record.scope = form.get('scope') ?? undefined;
      const fault = this.faults.find((f) => f.times > 0);
      if (fault) {
        fault.times -= 1;
        record.error = 'AADSTS90033';
        const retry: Record<string, string> =
          fault.status === 429 || fault.status === 503 ? { 'retry-after': String(fault.retryAfterSeconds ?? 1) } : {};
        return send(
          fault.status,
          aadError(this.host, 'temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.'),
          retry,
        );
      }
      if (record.grantType !== 'client_credentials') {
        return fail(
          400,
          'unsupported_grant_type',
          70003,
          `The app requested an unsupported grant type '${record.grantType ?? ''}'.`,
        );
      }
      const client = record.clientId ? this.clients.get(record.clientId) : undefined;
      if (!client || client.tenantId !== tenant) {
        return fail(
          400,
          'unauthorized_client',
          700016,
          `Application with identifier '${record.clientId ?? ''}' was not found in the directory '${tenant}'.`,
        );
      }
      if (form.get('client_secret') !== client.clientSecret) {
        return fail(
          401,
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`,
        );
      }
      const scope = record.scope ?? '';
      if (!/^https:\/\/[^\s]+\/\.default$/.test(scope)) {
        return fail(
          400,
          'invalid_scope',
          1002012,
          `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        );
      }
      const issued = this.mint(client, scope, this.expiresInSeconds);
      send(200, {
        token_type: 'Bearer',
        expires_in: this.expiresInSeconds,
        ext_expires_in: this.expiresInSeconds,
        ...(this.refreshInSeconds !== undefined ? { refresh_in: this.refreshInSeconds } : {}),
        access_token: issued.token,
      });
    });
  }

  private mint(client: TokenClient, scope: string, expiresInSeconds: number): IssuedToken {
    const issuedAt = Date.now();
    const audience = scope.replace(/\/\.default$/, '');
    const issued: IssuedToken = {
      token: accessToken(this.tokenFormat, client, audience, issuedAt, expiresInSeconds),
      clientId: client.clientId,
      objectId: client.objectId,
      tenantId: client.tenantId,
      scope,
      audience,
      issuedAt,
      expiresAt: issuedAt + expiresInSeconds * 1000,
    };
    this.issued.push(issued);
    this.byToken.set(issued.token, issued);
    return issued;
  }
}
