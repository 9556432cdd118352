/** The create form: one template whose fields switch with the runtime type. */

import { CREATE_FIELDS } from '../../../../core/forms';
import type { CreateFormView } from '../../../../core/replies';
import type { RuntimeType } from '../../../../domain/runtime';
import { type AdaptiveCard, clip, renderCard } from '../render';

export interface CreateFormCardData {
  type: RuntimeType;
  typeTitle: string;
  typeHelp: string;
  automaticStyle: string;
  computeInstanceStyle: string;
  managedOnlineDeploymentStyle: string;
  message: string;
  values: Record<string, string>;
  errors: Record<string, string>;
  idleValue: number;
  instanceCountValue: number;
  vmSizes: { name: string; title: string }[];
  computeInstances: { name: string; title: string }[];
  applications: { title: string; value: string }[];
  environments: { name: string }[];
  identities: { name: string; resourceId: string }[];
}

const TYPES: Record<RuntimeType, { title: string; help: string }> = {
  // Azure's name since 2024, with the old one people still know.
  automatic: {
    title: 'Compute session (automatic runtime)',
    help: 'serverless compute, created for it, stopped when idle.',
  },
  computeInstance: {
    title: 'Compute instance runtime',
    help: 'runs on one of your compute instances, with an Azure ML environment.',
  },
  managedOnlineDeployment: {
    title: 'Online deployment runtime',
    help: 'a managed online endpoint deployment; scales to several instances.',
  },
};

export function createFormCard(form: CreateFormView): AdaptiveCard {
  const values = Object.fromEntries(CREATE_FIELDS.map((f) => [f, clip(form.values[f], 500)]));
  // Choice sets show an empty box without a value: start on the studio's defaults.
  values.identity ||= 'user';
  values.customApplication ||= 'new';
  values.environment ||= 'default';
  const apps = form.computeInstances.flatMap((ci) =>
    ci.applications.map((a) => ({ title: `${clip(a, 60)} (on ${clip(ci.name, 60)})`, value: a })),
  );
  const data: CreateFormCardData = {
    type: form.type,
    typeTitle: TYPES[form.type].title,
    typeHelp: TYPES[form.type].help,
    automaticStyle: form.type === 'automatic' ? 'positive' : 'default',
    computeInstanceStyle: form.type === 'computeInstance' ? 'positive' : 'default',
    managedOnlineDeploymentStyle: form.type === 'managedOnlineDeployment' ? 'positive' : 'default',
    message: clip(form.message, 1000),
    values,
    errors: Object.fromEntries(Object.entries(form.errors).map(([k, v]) => [k, clip(v, 500)])),
    idleValue: toNumber(form.values.idleTimeMinutes, 60),
    instanceCountValue: toNumber(form.values.instanceCount, 1),
    vmSizes: form.vmSizes.slice(0, 50),
    computeInstances: form.computeInstances.slice(0, 50).map((c) => ({ name: c.name, title: c.title })),
    applications: [...new Map(apps.map((a) => [a.value, a])).values()].slice(0, 50),
    environments: form.environments.slice(0, 50).map((name) => ({ name })),
    identities: form.identities.slice(0, 20),
  };
  return renderCard('createForm', data);
}

export function toNumber(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(n) ? n : fallback;
}
