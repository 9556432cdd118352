/**
 * A loopback Bot Framework "cloud" for signed-token tests. It plays the three parts of Azure a bot's
 * auth talks to, over plain HTTP on 127.0.0.1 (testing-notes.md, "Signed Bot Framework tokens"):
 *
 *  - the channel's OpenID metadata (`GET /openid`: `issuer`, `jwks_uri`) and its keys (`GET /keys`:
 *    RSA keys with `kid`, `n`, `e` and the `endorsements` naming the channels each key may sign for);
 *  - a token signer holding those private keys (and an attacker's key), to make the JWTs Teams sends;
 *  - App Service's managed identity endpoint (`IDENTITY_ENDPOINT`, API 2019-08-01), which MSAL's
 *    ManagedIdentityApplication calls for a UserAssignedMSI bot's outgoing token. Its answer follows
 *    the documented shape: `access_token`, `expires_on` (epoch seconds, as text), `resource`,
 *    `token_type`, `client_id`; a wrong `X-IDENTITY-HEADER` gets 401.
 *
 * `endpoints` are the eight settings that point botbuilder at it (BotConfig.botFramework).
 */
import { createHmac, createSign, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BotFrameworkEndpoints } from '../../src/config';

export const CHANNEL_ISSUER = 'https://api.botframework.com';
export const BOT_OAUTH_SCOPE = 'https://api.botframework.com';

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  endorsements: string[];
}

export interface TokenOptions {
  /** Claims to add or override (`undefined` removes one). */
  claims?: Record<string, unknown>;
  /** Which key signs: the published one (default), one endorsed for Slack only, or an attacker's. */
  key?: 'teams' | 'slack-only' | 'attacker';
  /** The `kid` in the header; by default the signing key's own. */
  kid?: string;
  /** `none` leaves the signature empty; `HS256` signs with the published public key as an HMAC secret. */
  alg?: 'RS256' | 'none' | 'HS256';
}

export interface IssuedAppToken {
  clientId: string;
  resource: string;
  token: string;
}

export class BotFrameworkCloud {
  url = '';
  readonly identityHeader = randomUUID();
  /** Tokens the managed identity endpoint gave out. */
  readonly issued: IssuedAppToken[] = [];
  /** Requests for the keys, to tell whether a check reached them. */
  keyRequests = 0;
  private server?: http.Server;
  private readonly keys: Record<'teams' | 'slack-only' | 'attacker', SigningKey> = {
    teams: makeKey('teams-key', ['msteams']),
    'slack-only': makeKey('slack-key', ['slack']),
    attacker: makeKey('teams-key', ['msteams']), // same kid as the published key: a forgery
  };

  constructor(readonly appId: string) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** What BotConfig.botFramework needs to trust this cloud (all eight: botbuilder fills in none). */
  get endpoints(): BotFrameworkEndpoints {
    return {
      ToBotFromChannelOpenIdMetadataUrl: `${this.url}/openid`,
      ToBotFromEmulatorOpenIdMetadataUrl: `${this.url}/emulator/openid`,
      ToBotFromChannelTokenIssuer: CHANNEL_ISSUER,
      ToChannelFromBotLoginUrl: `${this.url}/login/botframework.com`,
      ToChannelFromBotOAuthScope: BOT_OAUTH_SCOPE,
      OAuthUrl: `${this.url}/oauth`,
      CallerId: 'urn:botframework:azure',
      ValidateAuthority: true,
    };
  }

  /** The environment App Service gives a process with a managed identity. */
  get managedIdentityEnv(): Record<string, string> {
    return { IDENTITY_ENDPOINT: `${this.url}/msi/token`, IDENTITY_HEADER: this.identityHeader };
  }

  /** A channel token as Teams sends it for an activity posted to `serviceUrl`, shaped by `options`. */
  token(serviceUrl: string, options: TokenOptions = {}): string {
    const now = Math.floor(Date.now() / 1000);
    const key = this.keys[options.key ?? 'teams'];
    const alg = options.alg ?? 'RS256';
    const header = { alg, typ: 'JWT', kid: options.kid ?? key.kid };
    const claims: Record<string, unknown> = {
      iss: CHANNEL_ISSUER,
      aud: this.appId,
      serviceurl: serviceUrl,
      nbf: now - 60,
      exp: now + 3600,
      ...options.claims,
    };
    for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    if (alg === 'none') return `${signingInput}.`;
    if (alg === 'HS256') {
      const secret = this.keys.teams.publicKey.export({ type: 'spki', format: 'pem' });
      return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
    }
    const signature = createSign('RSA-SHA256').update(signingInput).sign(key.privateKey).toString('base64url');
    return `${signingInput}.${signature}`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/openid') {
      json(200, {
        issuer: CHANNEL_ISSUER,
        authorization_endpoint: `${this.url}/authorize`,
        jwks_uri: `${this.url}/keys`,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
      });
    } else if (url.pathname === '/keys') {
      this.keyRequests++;
      // The published keys only: never the attacker's, though it shares the Teams key's kid.
      json(200, { keys: [jwk(this.keys.teams), jwk(this.keys['slack-only'])] });
    } else if (url.pathname === '/msi/token') {
      this.msiToken(req, url, json);
    } else {
      json(404, { error: 'not found' });
    }
  }

  private msiToken(req: http.IncomingMessage, url: URL, json: (status: number, body: unknown) => void): void {
    const resource = url.searchParams.get('resource') ?? '';
    const clientId = url.searchParams.get('client_id') ?? '';
    if (req.headers['x-identity-header'] !== this.identityHeader) {
      json(401, { error: 'invalid_request', error_description: 'X-IDENTITY-HEADER is missing or wrong' });
    } else if (url.searchParams.get('api-version') !== '2019-08-01' || !resource) {
      json(400, { error: 'invalid_request', error_description: 'api-version 2019-08-01 and resource are required' });
    } else if (clientId !== this.appId) {
      json(400, {
        error: 'invalid_request',
        error_description: `no user-assigned identity with client id ${clientId}`,
      });
    } else {
      const token = `msi-${randomUUID()}`;
      this.issued.push({ clientId, resource, token });
      json(200, {
        access_token: token,
        expires_on: String(Math.floor(Date.now() / 1000) + 3600),
        resource,
        token_type: 'Bearer',
        client_id: clientId,
      });
    }
  }
}

function makeKey(kid: string, endorsements: string[]): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, publicKey, endorsements };
}

function jwk(key: SigningKey): Record<string, unknown> {
  const { n, e } = key.publicKey.export({ format: 'jwk' });
  return { kty: 'RSA', use: 'sig', kid: key.kid, n, e, endorsements: key.endorsements };
}

const b64url = (text: string) => Buffer.from(text).toString('base64url');
