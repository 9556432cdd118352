/**
 * Realistic runtimes for the bench, written straight into the runtime service's storage (as the
 * demo data is), and the view models the cards render. Deterministic: runtime i is always the same.
 */
import { readFileSync } from 'node:fs';
import type { Reply } from '../../src/core/replies';
import { sortImageVersions } from '../../src/domain/imageVersion';
import type { Operation, Person, Runtime } from '../../src/domain/runtime';
import type { RuntimeRecord } from '../../src/service/model';
import { toRuntime } from '../../src/service/runtimeViews';
import { IF_NONE_MATCH, type Storage, type StoreItems } from '../../src/storage/storage';

const PEOPLE: Person[] = [
  { objectId: '00000000-0000-0000-0000-0000000000020', name: 'Alex Wilber' },
  { objectId: '00000000-0000-0000-0000-0000000000021', name: 'Megan Bowen' },
  { objectId: '00000000-0000-0000-0000-0000000000022', name: 'Adele Vance' },
];
const TEAMS = ['search', 'support', 'sales', 'legal', 'finance', 'ops'];
const FLOWS = ['chat', 'rag-eval', 'summarize', 'classify', 'extract'];
const PIP =
  'ERROR: Could not find a version that satisfies the requirement langchain==0.0.1a (from versions: 0.1.20, 0.2.17)\n' +
  'ERROR: No matching distribution found for langchain==0.0.1a';

export function runtimeName(i: number): string {
  return `${TEAMS[i % TEAMS.length]}-${FLOWS[i % FLOWS.length]}-${String(i).padStart(5, '0')}`;
}

/** Runtime i: mostly running and current; some failed, unavailable, outdated, busy, recently changed. */
export function runtimeRecord(i: number, tags: readonly string[], now: number): RuntimeRecord {
  const ago = (minutes: number) => new Date(now - minutes * 60_000).toISOString();
  const owner = PEOPLE[i % PEOPLE.length];
  const kind = i % 10 < 6 ? 'automatic' : i % 10 < 9 ? 'computeInstance' : 'managedOnlineDeployment';
  const status = i % 17 === 3 ? 'Failed' : i % 23 === 5 ? 'Unavailable' : i % 29 === 7 ? 'Starting' : 'Running';
  const base = {
    name: runtimeName(i),
    status,
    owner,
    description: `${FLOWS[i % FLOWS.length]} flow of the ${TEAMS[i % TEAMS.length]} team`,
    imageVersion: i % 4 === 1 ? tags.at(-3 - (i % 5)) : tags.at(-1),
    createdOn: ago(60 * 24 * (10 + (i % 50))),
    modifiedOn: ago(60 * (1 + (i % 72))),
    ...(status === 'Failed'
      ? {
          statusMessage: 'Package installation failed',
          error: { code: 'PackageInstallFailed', message: 'pip install -r requirements.txt failed', details: PIP },
        }
      : {}),
    ...(status === 'Unavailable' ? { statusMessage: `Compute instance ci-${i} is Stopped` } : {}),
    ...(i % 20 === 4
      ? {
          activeOperation: {
            id: `op-active-${i}`,
            kind: 'install' as const,
            status: 'Running' as const,
            requestedBy: PEOPLE[(i + 1) % 3],
            createdOn: ago(2),
          },
        }
      : {}),
    ...(i % 3 === 0
      ? {
          lastOperation: {
            id: `op-last-${i}`,
            kind: (['reset', 'upgrade', 'update'] as const)[(i / 3) % 3],
            status: i % 7 === 0 ? ('Failed' as const) : ('Succeeded' as const),
            requestedBy: PEOPLE[(i + 2) % 3],
            createdOn: ago(60 * (i % 30) + 10),
            endedOn: ago(60 * (i % 30) + 5),
          },
        }
      : {}),
  };
  if (kind === 'automatic')
    return {
      ...base,
      type: 'automatic',
      vmSize: 'Standard_E4ds_v4',
      idleTimeMinutes: 60 + (i % 4) * 60,
      identity: { type: 'user' },
      pythonRequirementsTxt: 'requirements.txt',
      packages: ['openai>=1.30', 'tiktoken', 'azure-search-documents==11.4.0'],
      packagesInstalled: status !== 'Failed',
      computeName: `${base.name}-serverless`,
      // The idle shutdown (which deletes an automatic runtime) is 51 to 240 minutes away: none falls due
      // during a run, even one that spends many minutes seeding 10,000 runtimes on Blob storage.
      lastUsedOn: ago(i % 10),
    };
  if (kind === 'computeInstance')
    return {
      ...base,
      type: 'computeInstance',
      computeInstanceName: `ci-${owner.name!.split(' ')[0].toLowerCase()}-${i % 40}`,
      customApplication: { mode: 'existing', name: 'pf-app' },
      environment: { mode: 'customized', name: 'pf-env:3' },
    };
  return {
    ...base,
    type: 'managedOnlineDeployment',
    endpointName: `ep-${TEAMS[i % TEAMS.length]}`,
    deploymentName: i % 2 ? 'blue' : 'green',
    instanceType: 'Standard_DS3_v2',
    instanceCount: 2,
  };
}

/** The catalogue's version tags, oldest first: what a runtime's image version is drawn from. */
export function catalogueTags(catalogueFile: string): string[] {
  const catalogue = JSON.parse(readFileSync(catalogueFile, 'utf8')) as { versions?: { tag: string }[] };
  return sortImageVersions((catalogue.versions ?? []).map((v) => v.tag));
}

/** Batches written at once while seeding: a remote store (Blob) answers each write in a round trip. */
const SEED_CONCURRENCY = 16;
const SEED_BATCH = 25;

/**
 * Writes runtimes 0..n-1 under the service's `runtimes/` prefix, create-only, through the storage
 * interface: batches of SEED_BATCH, SEED_CONCURRENCY of them in flight (what several writers do).
 */
export async function seedRuntimes(storage: Storage, n: number, tags: readonly string[], now: number): Promise<void> {
  let next = 0;
  const writer = async () => {
    while (next < n) {
      const items: StoreItems = {};
      for (const end = Math.min(n, next + SEED_BATCH); next < end; next++) {
        const record = runtimeRecord(next, tags, now);
        items[`runtimes/${record.name.toLowerCase()}`] = { ...record, eTag: IF_NONE_MATCH };
      }
      await storage.write(items);
    }
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, writer));
}

/** The runtimes as the service answers them (latest version, outdated, idle shutdown filled in). */
export function wireRuntimes(n: number, tags: readonly string[], now: number): Runtime[] {
  return Array.from({ length: n }, (_, i) => toRuntime(runtimeRecord(i, tags, now), tags.at(-1)));
}

export function operation(now: number): Operation {
  const at = (s: number) => new Date(now - s * 1000).toISOString();
  const messages = ['Accepted', 'Resolving requirements', 'Installing 12 packages', 'Restarting the runtime'];
  return {
    id: 'op-7f3a',
    kind: 'install',
    runtimeName: runtimeName(3),
    status: 'Running',
    requestedBy: PEOPLE[0],
    createdOn: at(60),
    updatedOn: at(5),
    input: { requirements: 'openai>=1.30\ntiktoken' },
    warnings: ['openai 1.30.0 is older than the version the flow was tested with.'],
    steps: messages.map((message, k) => ({ at: at(60 - k * 15), status: 'Running' as const, message })),
  };
}

export function approvalReply(now: number): Extract<Reply, { kind: 'approval' }> {
  const at = (m: number) => new Date(now + m * 60_000).toISOString();
  return {
    kind: 'approval',
    approval: {
      id: 'apr-1a2b3c',
      status: 'pending',
      kind: 'update',
      runtimeName: runtimeName(1),
      changes: [
        { field: 'vmSize', before: 'Standard_E4ds_v4', after: 'Standard_E8ds_v4' },
        { field: 'idleTimeMinutes', before: '60', after: '240' },
      ],
      warnings: ['The runtime restarts; running flows are interrupted.'],
      requester: PEOPLE[0],
      conversation: { id: '19:general@thread.tacv2', type: 'channel' },
      approvalsRequired: 1,
      approverRole: 'owner',
      ruleLine: 12,
      votes: [],
      createdOn: at(-1),
      expiresAt: at(59),
    },
    viewer: { objectId: PEOPLE[1].objectId, canVote: true, canCancel: false },
    approvers: [PEOPLE[1], PEOPLE[2]],
    personalViewUserIds: ['user-id-0', 'user-id-1', 'user-id-2'],
  };
}
