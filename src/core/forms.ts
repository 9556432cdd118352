/**
 * What the create, install and edit forms need from the runtime service, and how a form's values
 * become a request. Server-side problems come back as field errors on the same form, with the
 * user's input kept.
 */
import type { RuntimeClient } from '../client/runtimeClient';
import type { CreateRuntimeRequest, Person, RuntimeType, UpdateRuntimeRequest, VmSize } from '../domain/runtime';
import { AppError, ErrorCode } from '../errors';
import type { CreateFormView, Reply } from './replies';

export async function createFormOptions(
  client: RuntimeClient,
  actor: Person,
): Promise<Omit<CreateFormView, 'type' | 'values' | 'errors'>> {
  const [vmSizes, computeInstances, environments, identities] = await Promise.all([
    client.vmSizes(),
    client.computeInstances(actor),
    client.environments(),
    client.identities(),
  ]);
  return {
    vmSizes: vmSizeChoices(vmSizes),
    computeInstances: computeInstances.map((ci) => ({
      name: ci.name,
      title: `${ci.name} · ${ci.status}${ci.owner.objectId === actor.objectId ? '' : ` · assigned by ${ci.owner.name ?? ci.owner.objectId}`}`,
      applications: ci.applications.map((a) => a.name),
    })),
    environments: environments.filter((e) => e.kind === 'customized').map((e) => e.name),
    identities: identities.map((i) => ({ name: i.name, resourceId: i.resourceId })),
  };
}

/** The create form's fields, by the names its inputs submit: the vocabulary every channel's form uses. */
export const CREATE_FIELDS = [
  'name',
  'vmSize',
  'idleTimeMinutes',
  'identity',
  'computeInstanceName',
  'customApplication',
  'environment',
  'endpointName',
  'deploymentName',
  'instanceType',
  'instanceCount',
  'description',
] as const;

export const RUNTIME_TYPE_VALUES: readonly RuntimeType[] = ['automatic', 'computeInstance', 'managedOnlineDeployment'];

export function toRuntimeType(value: string | undefined): RuntimeType {
  return RUNTIME_TYPE_VALUES.find((t) => t === value) ?? 'automatic';
}

/** Builds the create request from form values; missing or malformed fields become field errors. */
export function createRequestFrom(type: RuntimeType, v: Record<string, string>): CreateRuntimeRequest {
  const errors: Record<string, string> = {};
  const need = (f: string, label: string) => {
    if (!v[f]?.trim()) errors[f] = `${label} is required.`;
    return v[f]?.trim() ?? '';
  };
  const int = (f: string, label: string) => {
    const raw = v[f]?.trim();
    if (!raw) return undefined;
    if (!/^\d+$/.test(raw)) {
      errors[f] = `${label} must be a whole number.`;
      return undefined;
    }
    return Number(raw);
  };
  const description = v.description?.trim() ? { description: v.description.trim() } : {};
  let request: CreateRuntimeRequest;
  if (type === 'automatic') {
    const idle = int('idleTimeMinutes', 'Idle time');
    const identity = v.identity?.trim();
    request = {
      type,
      vmSize: need('vmSize', 'VM size'),
      ...(idle !== undefined ? { idleTimeMinutes: idle } : {}),
      ...(identity && identity !== 'user' ? { identity: { type: 'userAssigned', resourceId: identity } } : {}),
      ...description,
    };
  } else if (type === 'computeInstance') {
    const app = v.customApplication?.trim() || 'new';
    const env = v.environment?.trim() || 'default';
    request = {
      type,
      computeInstanceName: need('computeInstanceName', 'Compute instance'),
      customApplication: app === 'new' ? { mode: 'new' } : { mode: 'existing', name: app },
      environment: env === 'default' ? { mode: 'default' } : { mode: 'customized', name: env },
      ...description,
    };
  } else {
    const count = int('instanceCount', 'Instance count');
    request = {
      type,
      endpointName: need('endpointName', 'Endpoint name'),
      deploymentName: need('deploymentName', 'Deployment name'),
      instanceType: need('instanceType', 'Instance type'),
      ...(count !== undefined ? { instanceCount: count } : {}),
      ...description,
    };
  }
  if (Object.keys(errors).length)
    throw new AppError(ErrorCode.InvalidField, 'Some fields need attention.', { fields: errors });
  return request;
}

/** Builds the edit request: only the fields whose value differs from the runtime's. */
export function updateRequestFrom(
  current: Record<string, unknown>,
  type: RuntimeType,
  v: Record<string, string>,
): UpdateRuntimeRequest {
  const out: UpdateRuntimeRequest = {};
  const errors: Record<string, string> = {};
  const int = (f: string) => {
    const raw = v[f]?.trim();
    if (!raw) return undefined;
    if (!/^\d+$/.test(raw)) errors[f] = 'Must be a whole number.';
    return Number(raw);
  };
  if (type === 'automatic') {
    if (v.vmSize?.trim() && v.vmSize.trim() !== current.vmSize) out.vmSize = v.vmSize.trim();
    const idle = int('idleTimeMinutes');
    if (idle !== undefined && !errors.idleTimeMinutes && idle !== current.idleTimeMinutes) out.idleTimeMinutes = idle;
  }
  if (type === 'computeInstance' && v.environment?.trim()) {
    const env = v.environment.trim();
    const currentEnv = (current.environment as { mode: string; name?: string } | undefined) ?? { mode: 'default' };
    const currentName = currentEnv.mode === 'default' ? 'default' : currentEnv.name;
    if (env !== currentName)
      out.environment = env === 'default' ? { mode: 'default' } : { mode: 'customized', name: env };
  }
  if (type === 'managedOnlineDeployment') {
    const count = int('instanceCount');
    if (count !== undefined && !errors.instanceCount && count !== current.instanceCount) out.instanceCount = count;
  }
  const description = v.description?.trim() ?? '';
  if (v.description !== undefined && description !== (current.description ?? '')) out.description = description;
  if (Object.keys(errors).length)
    throw new AppError(ErrorCode.InvalidField, 'Some fields need attention.', { fields: errors });
  if (Object.keys(out).length === 0)
    throw new AppError(ErrorCode.InvalidField, 'Nothing changed: edit a field, then save.');
  return out;
}

/** Field errors of a rejected request, with a summary message, for showing on the form. */
export function formErrors(error: unknown): { errors: Record<string, string>; message: string } | undefined {
  if (!(error instanceof AppError)) return undefined;
  if (error.code !== ErrorCode.InvalidField && error.code !== ErrorCode.BadRequest && error.code !== ErrorCode.Conflict)
    return undefined;
  const errors = { ...(error.fields ?? {}) };
  // The service names nested fields (customApplication.name): show them on the form's field.
  for (const key of Object.keys(errors)) {
    const top = key.split('.')[0];
    if (top !== key) errors[top] ??= errors[key];
  }
  return { errors, message: error.message };
}

/** The install form for a runtime, prefilled with its saved requirements (tokens stay redacted). */
export async function installFormFor(
  client: RuntimeClient,
  name: string,
): Promise<Extract<Reply, { kind: 'installForm' }>> {
  const { runtime } = await client.getRuntime(name);
  const saved = (runtime.packages ?? []).join('\n');
  const notes = saved.includes('***@')
    ? ['Saved feed URLs show *** where their token was: type the token again before installing.']
    : [];
  return {
    kind: 'installForm',
    form: { runtimeName: runtime.name, values: { requirements: saved, flowDag: '' }, errors: {}, notes },
  };
}

/** The edit form for a runtime, with its current settings and the choices it may change to. */
export async function editFormFor(client: RuntimeClient, name: string): Promise<Extract<Reply, { kind: 'editForm' }>> {
  const [{ runtime }, vmSizes, environments] = await Promise.all([
    client.getRuntime(name),
    client.vmSizes(),
    client.environments(),
  ]);
  return {
    kind: 'editForm',
    form: {
      runtime,
      values: {},
      errors: {},
      vmSizes: vmSizeChoices(vmSizes),
      environments: environments.filter((e) => e.kind === 'customized').map((e) => e.name),
    },
  };
}

function vmSizeChoices(sizes: VmSize[]): { name: string; title: string }[] {
  return sizes
    .filter((v) => v.quotaAvailable)
    .map((v) => ({ name: v.name, title: `${v.name} · ${v.vCPUs} vCPU, ${v.memoryGB} GB` }));
}
