/**
 * Reference data for the forms in azureml mode. The prompt flow API lists none of it, and forms must
 * not wait on Azure, so it comes from what the service already knows:
 * - compute instances: the ones that host the workspace's compute-instance runtimes (mirrored from
 *   FlowRuntimes by the sync), with their custom applications. Listing every compute instance
 *   needs the ARM computes API, which this provider does not call (yet).
 * - VM sizes: a static list of sizes commonly used for prompt flow sessions (the studio's default
 *   is Standard_E4ds_v4). The API has no quota information: `quotaAvailable` is true for all and
 *   Azure refuses a size without quota when the session starts, which fails that operation.
 * - environments: the default one, plus the customized environments the runtimes use.
 * - identities: none; the API cannot list user-assigned identities, so give one by resource id.
 */
import type { ComputeInstance, EnvironmentInfo, ManagedIdentity, VmSize } from '../../../domain/runtime';
import type { Collection } from '../../../storage/collection';
import type { RuntimeRecord } from '../../model';
import type { ReferenceData } from '../provider';
import { progressOf } from './mapping';

export const STATIC_VM_SIZES: VmSize[] = [
  { name: 'Standard_E4ds_v4', family: 'Edsv4', vCPUs: 4, memoryGB: 32, quotaAvailable: true },
  { name: 'Standard_E8ds_v4', family: 'Edsv4', vCPUs: 8, memoryGB: 64, quotaAvailable: true },
  { name: 'Standard_E16ds_v4', family: 'Edsv4', vCPUs: 16, memoryGB: 128, quotaAvailable: true },
  { name: 'Standard_D4ds_v5', family: 'Ddsv5', vCPUs: 4, memoryGB: 16, quotaAvailable: true },
  { name: 'Standard_D8ds_v5', family: 'Ddsv5', vCPUs: 8, memoryGB: 32, quotaAvailable: true },
  { name: 'Standard_D16ds_v5', family: 'Ddsv5', vCPUs: 16, memoryGB: 64, quotaAvailable: true },
  { name: 'Standard_DS11_v2', family: 'DSv2', vCPUs: 2, memoryGB: 14, quotaAvailable: true },
  { name: 'Standard_DS12_v2', family: 'DSv2', vCPUs: 4, memoryGB: 28, quotaAvailable: true },
  { name: 'Standard_F4s_v2', family: 'Fsv2', vCPUs: 4, memoryGB: 8, quotaAvailable: true },
];

export class AzureMlReference implements ReferenceData {
  constructor(private readonly runtimes: Collection<RuntimeRecord>) {}

  async computeInstances(): Promise<ComputeInstance[]> {
    const byName = new Map<string, ComputeInstance & { seen: string[] }>();
    for (const r of await this.runtimes.all()) {
      if (r.type !== 'computeInstance' || !r.computeInstanceName) continue;
      const key = r.computeInstanceName.toLowerCase();
      const ci = byName.get(key) ?? {
        name: r.computeInstanceName,
        vmSize: 'unknown',
        status: 'Unknown',
        owner: r.owner,
        applications: [],
        seen: [],
      };
      ci.seen.push(String(r.status));
      if (r.customApplication && !ci.applications.some((a) => a.name === r.customApplication!.name))
        ci.applications.push({ name: r.customApplication.name, image: 'promptflow runtime' });
      byName.set(key, ci);
    }
    return [...byName.values()]
      .map(({ seen, ...ci }) => ({ ...ci, status: instanceStatus(seen) }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async vmSizes(): Promise<VmSize[]> {
    return STATIC_VM_SIZES;
  }

  async environments(): Promise<EnvironmentInfo[]> {
    const custom = new Set<string>();
    for (const r of await this.runtimes.all()) if (r.environment?.mode === 'customized') custom.add(r.environment.name);
    return [
      {
        name: 'default',
        version: 'latest',
        kind: 'default',
        description: 'The prompt flow default environment, kept up to date by Azure ML.',
      },
      ...[...custom].sort().map((name) => ({
        name,
        version: name.match(/versions\/([^/]+)$/)?.[1] ?? name.split(':').at(-1) ?? '',
        kind: 'customized' as const,
        description: 'A customized environment used by a runtime in this workspace.',
      })),
    ];
  }

  async identities(): Promise<ManagedIdentity[]> {
    return [];
  }
}

/** A compute instance's state as its runtimes show it: Unavailable runtimes mean it is not running. */
function instanceStatus(runtimeStatuses: string[]): string {
  if (runtimeStatuses.length && runtimeStatuses.every((s) => s === 'Unavailable')) return 'Not running';
  if (runtimeStatuses.some((s) => s === 'Running' || progressOf(s) === 'other')) return 'Running';
  return 'Unknown';
}
