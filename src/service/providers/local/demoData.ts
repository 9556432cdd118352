/**
 * Demo runtimes written on first start, so that a new user sees every state at once: running,
 * outdated, failed with pip's message, and unavailable on a stopped compute instance.
 */
import { type Clock, iso } from '../../../clock';
import { Collection } from '../../../storage/collection';
import { isEtagConflict, type Storage } from '../../../storage/storage';
import type { RuntimeRecord } from '../../model';
import type { VersionStore } from '../../versions/versionStore';

const ALEX = { objectId: '00000000-0000-0000-0000-0000000000020', name: 'Alex Wilber' };
const MEGAN = { objectId: '00000000-0000-0000-0000-0000000000021', name: 'Megan Bowen' };
const ADELE = { objectId: '00000000-0000-0000-0000-0000000000022', name: 'Adele Vance' };

export async function seedDemoData(storage: Storage, versions: VersionStore, clock: Clock): Promise<number> {
  const markers = new Collection<{ seededOn: string }>(storage, 'meta');
  try {
    await markers.create('demo-data', { seededOn: iso(clock.now()) });
  } catch (error) {
    if (isEtagConflict(error)) return 0; // seeded before, by this or another replica
    throw error;
  }
  const tags = (await versions.all()).map((v) => v.tag);
  const latest = tags.at(-1);
  const older = tags.at(-3);
  const now = clock.now();
  const ago = (minutes: number) => iso(now - minutes * 60_000);
  const automatic = {
    type: 'automatic' as const,
    identity: { type: 'user' as const },
    pythonRequirementsTxt: 'requirements.txt',
  };
  const demo: RuntimeRecord[] = [
    {
      ...automatic,
      name: 'chat-dev',
      status: 'Running',
      owner: ALEX,
      vmSize: 'Standard_E4ds_v4',
      idleTimeMinutes: 240,
      packages: ['openai>=1.30', 'tiktoken'],
      packagesInstalled: true,
      computeName: 'chat-dev-serverless',
      imageVersion: latest,
      createdOn: ago(600),
      modifiedOn: ago(90),
      lastUsedOn: ago(20),
    },
    {
      ...automatic,
      name: 'prod-chat',
      status: 'Running',
      description: 'Serves the production chat flow evaluation.',
      owner: MEGAN,
      vmSize: 'Standard_E8ds_v4',
      idleTimeMinutes: 4320,
      packages: ['openai>=1.30', 'azure-search-documents==11.4.0'],
      packagesInstalled: true,
      computeName: 'prod-chat-serverless',
      imageVersion: older,
      createdOn: ago(60 * 24 * 30),
      modifiedOn: ago(60 * 24 * 3),
      lastUsedOn: ago(5),
    },
    {
      ...automatic,
      name: 'rag-eval',
      status: 'Failed',
      statusMessage: 'Package installation failed',
      error: {
        code: 'PackageInstallFailed',
        message: 'pip install -r requirements.txt failed',
        details:
          'ERROR: Could not find a version that satisfies the requirement langchain==0.0.1a (from versions: 0.1.20, 0.2.17, 0.3.9)\nERROR: No matching distribution found for langchain==0.0.1a',
      },
      owner: ALEX,
      vmSize: 'Standard_E4ds_v4',
      idleTimeMinutes: 60,
      packages: ['langchain==0.0.1a', 'faiss-cpu'],
      packagesInstalled: false,
      computeName: 'rag-eval-serverless',
      imageVersion: latest,
      createdOn: ago(180),
      modifiedOn: ago(30),
      lastUsedOn: ago(30),
    },
    {
      name: 'ci-alex-runtime',
      type: 'computeInstance',
      status: 'Running',
      owner: ALEX,
      computeInstanceName: 'ci-alex',
      customApplication: { mode: 'existing', name: 'pf-app' },
      environment: { mode: 'default' },
      imageVersion: older,
      createdOn: ago(60 * 24 * 10),
      modifiedOn: ago(60 * 24 * 10),
    },
    {
      name: 'legacy-ocr',
      type: 'computeInstance',
      status: 'Unavailable',
      statusMessage: 'Compute instance ci-adele-old is Stopped',
      owner: ADELE,
      computeInstanceName: 'ci-adele-old',
      customApplication: { mode: 'existing', name: 'pf-legacy' },
      environment: { mode: 'customized', name: 'pf-ocr-env' },
      imageVersion: tags.at(-12),
      createdOn: ago(60 * 24 * 90),
      modifiedOn: ago(60 * 24 * 40),
    },
  ];
  const runtimes = new Collection<RuntimeRecord>(storage, 'runtimes');
  let created = 0;
  for (const record of demo) {
    try {
      await runtimes.create(record.name.toLowerCase(), record);
      created++;
    } catch (error) {
      if (!isEtagConflict(error)) throw error;
    }
  }
  return created;
}
