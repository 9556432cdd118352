/**
 * The fake's authentication and authorization. A bearer token must be one the loopback TokenEndpoint issued, not
 * expired, for the expected audience (https://management.azure.com for `Authorization`, https://ml.azure.com for
 * `aml-user-token`): 401 with `WWW-Authenticate: Bearer error="invalid_token"` otherwise. Then the workspace in the
 * path must be the fake's (404), and the caller must hold the AzureML Data Scientist role (403 AuthorizationFailed,
 * worded like Azure's, naming the action, the scope and the role).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { FakeApiError } from './errors';
import type { Operation } from './openapi';
import type { Principal, WorkspaceConfig } from './state';
import type { TokenEndpoint } from './tokenEndpoint';

export const ARM_AUDIENCE = 'https://management.azure.com';
export const AML_AUDIENCE = 'https://ml.azure.com';
export const DATA_SCIENTIST_ROLE = 'AzureML Data Scientist';

export function authenticate(
  tokens: Pick<TokenEndpoint, 'verify'>,
  header: string | undefined,
  audience: string,
  name: string,
): Principal {
  const token = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
  if (!token) throw unauthorized(`The ${name} header is missing or does not hold a bearer token.`);
  const known = tokens.verify(token);
  if (!known) throw unauthorized(`The ${name} token is invalid: it was not issued by the identity provider.`);
  if (known.expired) {
    const at = new Date(known.issued.expiresAt).toISOString();
    throw unauthorized(`The ${name} token expired at ${at}.`, 'ExpiredAuthenticationToken');
  }
  if (known.issued.audience !== audience) {
    const got = known.issued.audience;
    throw unauthorized(`The ${name} token has audience '${got}'; expected '${audience}'.`, 'InvalidAudience');
  }
  return { clientId: known.issued.clientId, objectId: known.issued.objectId, tenantId: known.issued.tenantId };
}

/** Session create (action absent, Install or Reset) also needs `aml-user-token`: an ml.azure.com token of the caller. */
export function authenticateUserToken(
  tokens: Pick<TokenEndpoint, 'verify'>,
  action: string | undefined,
  headers: IncomingHttpHeaders,
  caller: Principal,
): void {
  if (action !== undefined && action !== 'Install' && action !== 'Reset') return;
  const header = headers['aml-user-token'];
  const user = authenticate(
    tokens,
    typeof header === 'string' ? `Bearer ${header}` : undefined,
    AML_AUDIENCE,
    'aml-user-token',
  );
  if (user.objectId !== caller.objectId) {
    throw unauthorized('The aml-user-token header holds a token of another principal than the Authorization header.');
  }
}

export function unauthorized(message: string, innerCode = 'InvalidAuthenticationToken'): FakeApiError {
  const challenge = `Bearer error="invalid_token", error_description="${message.replace(/"/g, "'")}"`;
  return new FakeApiError(401, 'UserError', innerCode, message, {}, { 'www-authenticate': challenge });
}

export function authorize(
  config: WorkspaceConfig,
  principalsWithoutRole: ReadonlySet<string>,
  op: Operation,
  params: Record<string, string>,
  caller: Principal,
): void {
  const { subscriptionId, resourceGroup, workspace } = config;
  const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
  if (
    !same(params.subscriptionId, subscriptionId) ||
    !same(params.resourceGroupName, resourceGroup) ||
    !same(params.workspaceName, workspace)
  ) {
    const what = `Workspace ${params.workspaceName} in resource group ${params.resourceGroupName}`;
    throw new FakeApiError(404, 'UserError', 'WorkspaceNotFound', `${what} not found.`);
  }
  if (!principalsWithoutRole.has(caller.clientId) && !principalsWithoutRole.has(caller.objectId)) return;
  // [invented] action names: the API notes do not say which actions these routes check.
  const area = op.template.includes('/FlowSessions') ? 'sessions' : 'runtimes';
  const verb = op.method === 'get' ? 'read' : op.method === 'delete' ? 'delete' : 'write';
  const action = `Microsoft.MachineLearningServices/workspaces/flows/${area}/${verb}`;
  const scope = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${workspace}`;
  throw new FakeApiError(
    403,
    'UserError',
    'AuthorizationFailed',
    `The client '${caller.clientId}' with object id '${caller.objectId}' does not have authorization to perform action ` +
      `'${action}' over scope '${scope}' or the scope is invalid. The '${DATA_SCIENTIST_ROLE}' role on the workspace ` +
      'grants it. If access was recently granted, please refresh your credentials.',
    { messageParameters: { action, scope, role: DATA_SCIENTIST_ROLE }, target: action },
  );
}
