/** The edit form: the settings a runtime's type allows to change, prefilled with the current ones. */
import type { EditFormView } from '../../../../core/replies';
import { type AdaptiveCard, clip, renderCard } from '../render';
import { toNumber } from './createForm';

export interface EditFormCardData {
  runtimeName: string;
  type: string;
  typeTitle: string;
  status: string;
  message: string;
  values: { vmSize: string; environment: string; description: string };
  errors: Record<string, string>;
  idleValue: number;
  instanceCountValue: number;
  vmSizes: { name: string; title: string }[];
  environments: { name: string }[];
}

const TITLES: Record<string, string> = {
  automatic: 'Compute session',
  computeInstance: 'Compute instance',
  managedOnlineDeployment: 'Online deployment',
};

export function editFormCard(form: EditFormView): AdaptiveCard {
  const r = form.runtime;
  const value = (field: string, current: string | number | undefined) =>
    form.values[field] ?? (current === undefined ? '' : String(current));
  return renderCard('editForm', {
    runtimeName: clip(r.name, 100),
    type: r.type,
    typeTitle: TITLES[r.type] ?? r.type,
    status: clip(r.status, 40),
    message: clip(form.message, 1000),
    values: {
      vmSize: value('vmSize', r.vmSize),
      environment: value('environment', r.environment?.mode === 'customized' ? r.environment.name : 'default'),
      description: clip(value('description', r.description), 500),
    },
    errors: Object.fromEntries(Object.entries(form.errors).map(([k, v]) => [k, clip(v, 500)])),
    idleValue: toNumber(value('idleTimeMinutes', r.idleTimeMinutes), 60),
    instanceCountValue: toNumber(value('instanceCount', r.instanceCount), 1),
    vmSizes: form.vmSizes.slice(0, 50),
    environments: form.environments.slice(0, 50).map((name) => ({ name })),
  } satisfies EditFormCardData);
}
