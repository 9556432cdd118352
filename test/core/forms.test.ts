/** The forms' logic: requests built from form values with field errors, and the forms prefilled from the service. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createFormOptions,
  createRequestFrom,
  formErrors,
  installFormFor,
  toRuntimeType,
  updateRequestFrom,
} from '../../src/core/forms';
import { AppError, ErrorCode, notFound } from '../../src/errors';
import { ACTORS } from '../helpers/service';
import { type Core, startCore } from '../helpers/coreHarness';

/** The field errors a build refused with. */
function problems(build: () => unknown): Record<string, string> | undefined {
  try {
    build();
  } catch (error) {
    return formErrors(error)?.errors;
  }
  throw new Error('expected field errors');
}

describe('createRequestFrom', () => {
  it('should build a compute session with a managed identity and without the user’s default', () => {
    expect(
      createRequestFrom('automatic', { vmSize: ' Standard_E4ds_v4 ', idleTimeMinutes: '90', identity: 'user' }),
    ).toEqual({ type: 'automatic', vmSize: 'Standard_E4ds_v4', idleTimeMinutes: 90 });
    expect(
      createRequestFrom('automatic', { vmSize: 'Standard_E4ds_v4', identity: '/subscriptions/s/mi' }),
    ).toMatchObject({
      identity: { type: 'userAssigned', resourceId: '/subscriptions/s/mi' },
    });
  });

  it('should build a compute instance runtime with a new application and the default environment unless chosen', () => {
    expect(createRequestFrom('computeInstance', { computeInstanceName: 'ci-alex' })).toEqual({
      type: 'computeInstance',
      computeInstanceName: 'ci-alex',
      customApplication: { mode: 'new' },
      environment: { mode: 'default' },
    });
    expect(
      createRequestFrom('computeInstance', {
        computeInstanceName: 'ci-alex',
        customApplication: 'pf-app',
        environment: 'env-1',
      }),
    ).toMatchObject({
      customApplication: { mode: 'existing', name: 'pf-app' },
      environment: { mode: 'customized', name: 'env-1' },
    });
  });

  it('should name every missing or malformed field at once', () => {
    expect(problems(() => createRequestFrom('managedOnlineDeployment', { instanceCount: 'two' }))).toEqual({
      endpointName: 'Endpoint name is required.',
      deploymentName: 'Deployment name is required.',
      instanceType: 'Instance type is required.',
      instanceCount: 'Instance count must be a whole number.',
    });
  });
});

describe('updateRequestFrom', () => {
  const current = { vmSize: 'Standard_E4ds_v4', idleTimeMinutes: 240, description: 'old' };

  it('should send only the fields that differ', () => {
    expect(
      updateRequestFrom(current, 'automatic', {
        vmSize: 'Standard_E4ds_v4',
        idleTimeMinutes: '60',
        description: 'old',
      }),
    ).toEqual({ idleTimeMinutes: 60 });
    expect(updateRequestFrom(current, 'automatic', { description: '' })).toEqual({ description: '' });
  });

  it('should refuse a form where nothing changed, and mark a malformed number', () => {
    expect(() => updateRequestFrom(current, 'automatic', { idleTimeMinutes: '240' })).toThrow(
      'Nothing changed: edit a field, then save.',
    );
    expect(problems(() => updateRequestFrom(current, 'automatic', { idleTimeMinutes: '1.5' }))).toEqual({
      idleTimeMinutes: 'Must be a whole number.',
    });
  });

  it('should change a compute instance’s environment, and back to the default', () => {
    const ci = { environment: { mode: 'customized', name: 'env-1' } };
    expect(updateRequestFrom(ci, 'computeInstance', { environment: 'default' })).toEqual({
      environment: { mode: 'default' },
    });
    expect(() => updateRequestFrom(ci, 'computeInstance', { environment: 'env-1' })).toThrow('Nothing changed');
  });
});

describe('formErrors', () => {
  it('should put a nested field’s error on its form field too', () => {
    const error = new AppError(ErrorCode.InvalidField, 'Bad app.', { fields: { 'customApplication.name': 'unknown' } });
    expect(formErrors(error)).toEqual({
      message: 'Bad app.',
      errors: { 'customApplication.name': 'unknown', customApplication: 'unknown' },
    });
  });

  it('should leave errors that are not the form’s to the caller', () => {
    expect(formErrors(notFound('gone'))).toBeUndefined();
    expect(formErrors(new Error('bug'))).toBeUndefined();
  });
});

describe('toRuntimeType', () => {
  it('should take the API’s type names and fall back to a compute session', () => {
    expect(toRuntimeType('managedOnlineDeployment')).toBe('managedOnlineDeployment');
    expect(toRuntimeType('ci')).toBe('automatic');
    expect(toRuntimeType(undefined)).toBe('automatic');
  });
});

describe('forms from the service', () => {
  let core: Core;
  beforeEach(async () => {
    core = await startCore();
  });
  afterEach(() => core.close());

  it('should offer only VM sizes with quota, and say whose compute instance it is', async () => {
    const options = await createFormOptions(core.deps.client, ACTORS.alex);
    const sizes = await core.deps.client.vmSizes();
    expect(options.vmSizes.map((s) => s.name)).toEqual(sizes.filter((s) => s.quotaAvailable).map((s) => s.name));
    expect(options.vmSizes.length).toBeLessThan(sizes.length);
    // Alex's own instance, and Adele's that is assigned to him.
    const titles = Object.fromEntries(options.computeInstances.map((c) => [c.name, c.title]));
    expect(titles['ci-alex']).not.toContain('assigned');
    expect(titles['ci-team-gpu']).toContain('assigned by Adele Vance');
  });

  it('should prefill the install form with the saved lines and warn that a feed token must be typed again', async () => {
    const requirements = '--extra-index-url https://build:t0ken@pkgs.example.com/simple\nnumpy';
    const saved = await core.service.request('POST', '/v1/runtimes/chat-dev/install', {
      actor: ACTORS.alex,
      body: { requirements, saveOnly: true },
    });
    expect(saved.status).toBe(202);
    await core.service.app.engine.tick();
    const form = await installFormFor(core.deps.client, 'chat-dev');
    expect(form.form.values.requirements).toContain('***@pkgs.example.com');
    expect(form.form.values.requirements).not.toContain('t0ken');
    expect(form.form.notes).toEqual([expect.stringContaining('type the token again')]);
  });
});
