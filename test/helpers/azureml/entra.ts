/**
 * Microsoft Entra shapes for the loopback token endpoint: the OpenID configuration MSAL reads for an authority,
 * access tokens (JWT-shaped with the claims Azure puts in an app token, unsigned; or opaque), and AADSTS error JSON.
 */
import { randomUUID } from 'node:crypto';

export interface TokenSubject {
  clientId: string;
  objectId: string;
  tenantId: string;
}

export function openIdConfiguration(host: string, tenant: string): Record<string, unknown> {
  const base = `${host}/${tenant}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/v2.0`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    tenant_region_scope: 'WW',
    cloud_instance_name: 'microsoftonline.com',
  };
}

export function accessToken(
  format: 'jwt' | 'opaque',
  subject: TokenSubject,
  audience: string,
  issuedAt: number,
  expiresInSeconds: number,
): string {
  if (format === 'opaque') return `opaque-${randomUUID()}`;
  const seconds = Math.floor(issuedAt / 1000);
  const claims = {
    aud: audience,
    iss: `https://sts.windows.net/${subject.tenantId}/`,
    iat: seconds,
    nbf: seconds,
    exp: seconds + expiresInSeconds,
    appid: subject.clientId,
    azp: subject.clientId,
    idtyp: 'app',
    oid: subject.objectId,
    sub: subject.objectId,
    tid: subject.tenantId,
    uti: randomUUID(),
    ver: '1.0',
  };
  const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signature = Buffer.from(randomUUID()).toString('base64url'); // never verified by anyone
  return `${b64({ typ: 'JWT', alg: 'RS256', kid: 'loopback' })}.${b64(claims)}.${signature}`;
}

export function aadError(host: string, error: string, code: number, description: string): Record<string, unknown> {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return {
    error,
    error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${host}/error?code=${code}`,
  };
}
