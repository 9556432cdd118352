/**
 * How both providers check a new automatic runtime's settings (VM size, idle time, identity, base
 * image and its version, requirements.txt) and build its record. What differs is a parameter
 * (`AutomaticRules`): the emulator checks sizes, quota and identities against its workspace;
 * azureml can only check shapes and leaves the rest to Azure.
 */
import { isImageVersion } from '../../../domain/imageVersion';
import { type ParsedRequirements, parseRequirements } from '../../../domain/requirements';
import { type CreateAutomaticRuntime, IDLE_MINUTES, type Identity } from '../../../domain/runtime';
import type { FieldErrors } from '../../../errors';
import type { PreparedOperation, RuntimeRecord } from '../../model';
import { checkIdle, STABLE_IMAGE, throwIfFields, type VmSizeRule } from './checks';

/** What a provider knows when it checks a new automatic runtime. */
export interface AutomaticRules {
  vmSize: VmSizeRule;
  /** Why a user-assigned identity cannot be used, or undefined. */
  identityError(identity: { resourceId: string }): Promise<string | undefined>;
  /** The image version of a runtime on the stable image without a tag. */
  latestVersion(): Promise<string | undefined>;
  knownVersion(tag: string): Promise<boolean>;
  /** The requirement lines to store, from text that parsed (perhaps with errors). */
  packages(text: string, parsed: ParsedRequirements): string[];
}

/** An automatic runtime's settings once checked: what its record and stored input are made of. */
export interface CheckedAutomatic {
  idleTimeMinutes: number;
  identity: Identity;
  imageVersion: string | undefined;
  packages: string[];
  warnings: string[];
}

/** Checks an automatic runtime's settings; throws one 422 naming every bad field. */
export async function checkAutomatic(req: CreateAutomaticRuntime, rules: AutomaticRules): Promise<CheckedAutomatic> {
  const fields: FieldErrors = {};
  const warnings: string[] = [];
  const vmError = await rules.vmSize.check(req.vmSize);
  if (vmError) fields.vmSize = vmError;
  const idleTimeMinutes = req.idleTimeMinutes ?? IDLE_MINUTES.default;
  checkIdle(idleTimeMinutes, fields);
  const identity = req.identity ?? { type: 'user' as const };
  if (identity.type === 'userAssigned') {
    const identityError = await rules.identityError(identity);
    if (identityError) fields.identity = identityError;
  }
  let imageVersion = await rules.latestVersion();
  if (req.baseImage) {
    const stable = STABLE_IMAGE.exec(req.baseImage);
    const tag = stable?.[1];
    if (stable && tag && tag !== 'latest') {
      if (!isImageVersion(tag) || !(await rules.knownVersion(tag)))
        fields.baseImage = `There is no published image version "${tag}".`;
      imageVersion = tag;
    } else if (!stable) {
      imageVersion = undefined; // a custom image: its version is not ours to track
      warnings.push('A custom base image must be built FROM the prompt flow runtime image.');
    }
  }
  let packages: string[] = [];
  if (req.requirements !== undefined) {
    const parsed = parseRequirements(req.requirements);
    if (parsed.errors.length) fields.requirements = parsed.errors.map((e) => e.message).join('\n');
    warnings.push(...parsed.warnings.map((w) => w.message));
    packages = rules.packages(req.requirements, parsed);
  }
  throwIfFields(fields);
  return { idleTimeMinutes, identity, imageVersion, packages, warnings };
}

/**
 * A new automatic runtime: `head` is the record so far with the provider's image version and VM
 * size, `tail` what only the provider records (the emulator's serverless compute name).
 */
export function preparedAutomatic(
  req: CreateAutomaticRuntime,
  head: RuntimeRecord,
  checked: CheckedAutomatic,
  tail: Partial<RuntimeRecord> = {},
): PreparedOperation {
  const initial: RuntimeRecord = {
    ...head,
    idleTimeMinutes: checked.idleTimeMinutes,
    identity: checked.identity,
    ...(req.baseImage ? { baseImage: req.baseImage } : {}),
    pythonRequirementsTxt: req.pythonRequirementsTxt ?? 'requirements.txt',
    packages: checked.packages,
    packagesInstalled: false,
    ...tail,
  };
  return { input: { ...req, requirements: checked.packages.join('\n') }, warnings: checked.warnings, initial };
}
