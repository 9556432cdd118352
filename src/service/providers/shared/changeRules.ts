/**
 * How both providers check a change to an existing runtime where their rules are the same: which
 * settings an update may change on which runtime type, when an update changes nothing, what an
 * install of requirements needs, and when an upgrade makes sense. Which states block an operation
 * and what the user is told to wait for are the provider's, passed in.
 */
import { type ParsedRequirements, parseRequirements } from '../../../domain/requirements';
import type { InstallPackagesRequest, UpdateRuntimeRequest } from '../../../domain/runtime';
import { AppError, ErrorCode, type FieldErrors, fieldError, invalidField } from '../../../errors';
import type { PreparedOperation, RuntimeRecord } from '../../model';
import { requireState, STABLE_IMAGE, throwIfFields, typeLabel } from './checks';

/** The runtime types on which each update field may be changed. */
const UPDATE_APPLIES: Record<string, RuntimeRecord['type'][]> = {
  vmSize: ['automatic'],
  idleTimeMinutes: ['automatic'],
  environment: ['computeInstance'],
  instanceCount: ['managedOnlineDeployment'],
  description: ['automatic', 'computeInstance', 'managedOnlineDeployment'],
};

/** The update's settings that differ from the runtime's; one that does not apply to its type is a field error. */
export function updateChanges(
  req: UpdateRuntimeRequest,
  current: RuntimeRecord,
  fields: FieldErrors,
): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(req)) {
    if (value === undefined) continue;
    if (!UPDATE_APPLIES[field]?.includes(current.type)) {
      fields[field] = `${field} cannot be changed on a ${typeLabel(current.type)} runtime.`;
      continue;
    }
    if (JSON.stringify((current as unknown as Record<string, unknown>)[field]) !== JSON.stringify(value))
      changes[field] = value;
  }
  return changes;
}

/** The end of every update's checks: the field errors, an update that changes nothing, a busy runtime. */
export function finishUpdate(
  current: RuntimeRecord,
  fields: FieldErrors,
  changes: Record<string, unknown>,
  waitHint: string,
): PreparedOperation {
  throwIfFields(fields);
  if (Object.keys(changes).length === 0) {
    throw new AppError(ErrorCode.InvalidField, `Nothing to change: ${current.name} already has those settings.`);
  }
  requireState(current, ['Stopping'], 'edit', waitHint);
  const warnings = changes.vmSize ? ['A new VM size takes effect after the runtime restarts on it.'] : [];
  return { input: changes, warnings };
}

/**
 * Installs requirements on an automatic runtime; `store` turns the parsed text into the lines to
 * keep with the operation (azureml also remembers their secrets for the step that sends them).
 */
export function prepareInstall(
  req: InstallPackagesRequest,
  current: RuntimeRecord,
  waitHint: string,
  store: (parsed: ParsedRequirements) => string[],
): PreparedOperation {
  if (current.type !== 'automatic') {
    throw fieldError(
      'requirements',
      `${current.name} is a ${typeLabel(current.type)} runtime: it takes packages through a customized environment, not requirements.txt.`,
    );
  }
  const parsed = parseRequirements(req.requirements);
  if (parsed.errors.length) {
    const message = parsed.errors.map((e) => e.message).join('\n');
    throw invalidField(message, { requirements: message });
  }
  if (parsed.packages.length === 0)
    throw fieldError('requirements', 'There are no packages to install in those lines.');
  if (!req.saveOnly)
    requireState(current, ['Starting', 'Unavailable', 'Resetting', 'Stopping'], 'install packages on', waitHint);
  const lines = store(parsed);
  return {
    input: { requirements: lines.join('\n'), saveOnly: req.saveOnly === true },
    warnings: parsed.warnings.map((w) => w.message),
  };
}

/** Checks an upgrade to the latest image version (unless the runtime is in a `blocked` state) and returns that version. */
export async function checkUpgrade(
  current: RuntimeRecord,
  latestVersion: () => Promise<string | undefined>,
  blocked: string[],
  waitHint: string,
): Promise<string | undefined> {
  if (current.baseImage && !STABLE_IMAGE.test(current.baseImage)) {
    throw fieldError(
      'baseImage',
      `${current.name} uses a custom base image; change environment.image in flow.dag.yaml, then reset.`,
    );
  }
  const latest = await latestVersion();
  if (latest && current.imageVersion === latest) {
    throw new AppError(ErrorCode.Conflict, `${current.name} already runs the latest image version, ${latest}.`);
  }
  requireState(current, blocked, 'upgrade', waitHint);
  return latest;
}

/** Deployment runtimes have no reset. */
export function refuseDeploymentReset(current: RuntimeRecord): void {
  if (current.type === 'managedOnlineDeployment') {
    throw fieldError('type', 'Managed online deployment runtimes cannot be reset; update or stop them instead.');
  }
}
