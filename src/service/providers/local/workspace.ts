/**
 * The emulated workspace: VM sizes with quota, environments, managed identities, people, a package
 * index and compute instances. Compute instances live in storage (seeded once from the catalogue)
 * because their state can change while the service runs.
 */
import { readFileSync } from 'node:fs';
import type { ComputeInstance, EnvironmentInfo, ManagedIdentity, Person, VmSize } from '../../../domain/runtime';
import { Collection } from '../../../storage/collection';
import { isEtagConflict, type Storage } from '../../../storage/storage';
import type { ReferenceData } from '../provider';

interface CatalogueComputeInstance {
  name: string;
  vmSize: string;
  status: string;
  owner: string;
  assignedTo?: string;
  applications: { name: string; image: string }[];
}

export interface WorkspaceCatalogue {
  workspace: { subscriptionId: string; resourceGroup: string; name: string; region: string };
  people: Person[];
  vmSizes: VmSize[];
  environments: EnvironmentInfo[];
  identities: ManagedIdentity[];
  computeInstances: CatalogueComputeInstance[];
  packageIndex: { packages: Record<string, string[]> };
}

export type StoredComputeInstance = CatalogueComputeInstance;

export class LocalWorkspace implements ReferenceData {
  readonly catalogue: WorkspaceCatalogue;
  readonly instances: Collection<StoredComputeInstance>;
  private seeded?: Promise<void>;

  constructor(storage: Storage, catalogueFile: string) {
    this.catalogue = JSON.parse(readFileSync(catalogueFile, 'utf8')) as WorkspaceCatalogue;
    this.instances = new Collection(storage, 'compute-instances');
  }

  person(objectId: string): Person {
    return this.catalogue.people.find((p) => p.objectId === objectId) ?? { objectId };
  }

  async computeInstances(): Promise<ComputeInstance[]> {
    await this.seed();
    return (await this.instances.all()).map((ci) => ({
      name: ci.name,
      vmSize: ci.vmSize,
      status: ci.status,
      owner: this.person(ci.owner),
      ...(ci.assignedTo ? { assignedTo: this.person(ci.assignedTo) } : {}),
      applications: ci.applications,
    }));
  }

  async computeInstance(name: string): Promise<StoredComputeInstance | undefined> {
    await this.seed();
    return this.instances.get(name.toLowerCase());
  }

  async vmSizes(): Promise<VmSize[]> {
    return this.catalogue.vmSizes;
  }

  async environments(): Promise<EnvironmentInfo[]> {
    return this.catalogue.environments;
  }

  async identities(): Promise<ManagedIdentity[]> {
    return this.catalogue.identities;
  }

  /** Versions the emulated public index offers for a package, or undefined when it has none. */
  packageVersions(name: string): string[] | undefined {
    return this.catalogue.packageIndex.packages[name];
  }

  /** Creates the catalogue's compute instances once; replicas racing here all end up equal. */
  seed(): Promise<void> {
    this.seeded ??= (async () => {
      for (const ci of this.catalogue.computeInstances) {
        try {
          await this.instances.create(ci.name.toLowerCase(), ci);
        } catch (error) {
          if (!isEtagConflict(error)) throw error;
        }
      }
    })();
    return this.seeded;
  }
}
