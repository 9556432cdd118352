/** Request bodies against the OpenAPI schemas: one message per field, saying what is wrong. */
import { describe, expect, it } from 'vitest';
import { validateBody } from '../../../src/service/http/validate';
import { AppError } from '../../../src/errors';

function refusal(schema: Parameters<typeof validateBody>[0], body: unknown) {
  try {
    validateBody(schema, body);
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, message: error.message, fields: { ...error.fields } };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('validateBody', () => {
  it('should pass a valid body through unchanged', () => {
    const body = { type: 'automatic', vmSize: 'Standard_E4ds_v4', idleTimeMinutes: 60 };
    expect(validateBody('CreateAutomaticRuntime', body)).toBe(body);
  });

  it('should refuse a body that is not a JSON object', () => {
    for (const body of [null, [], 'text', 42])
      expect(refusal('CreateAutomaticRuntime', body)).toMatchObject({
        code: 'bad_request',
        message: 'The request body must be a JSON object.',
      });
  });

  it('should name each missing and unknown field', () => {
    const { code, message, fields } = refusal('CreateAutomaticRuntime', { type: 'automatic', vmsize: 'x' });
    expect(code).toBe('bad_request');
    expect(fields).toEqual({ vmSize: 'is required', vmsize: 'unknown field "vmsize"' });
    expect(message).toBe('The request body is invalid. vmSize: is required; vmsize: unknown field "vmsize"');
  });

  it('should say which shapes an identity may take', () => {
    const { fields } = refusal('CreateAutomaticRuntime', {
      type: 'automatic',
      vmSize: 'Standard_E4ds_v4',
      identity: { type: 'system' },
    });
    expect(fields.identity).toContain('use {"type":"user"} or {"type":"userAssigned"');
  });

  it('should ask an update to change something', () => {
    expect(refusal('UpdateRuntime', {}).fields).toEqual({ body: 'must name at least one field to change' });
  });

  it('should keep a field named __proto__ as a field, not a prototype', () => {
    const body = JSON.parse('{"type":"automatic","vmSize":"Standard_E4ds_v4","__proto__":{"polluted":true}}');
    const { fields } = refusal('CreateAutomaticRuntime', body);
    expect(Object.keys(fields)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
