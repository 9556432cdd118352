/**
 * Request-body validation against the schemas of the OpenAPI document. Messages name the field and
 * say what is wrong with it, so a client can fix its request without reading the spec.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { badRequest } from '../../errors';
import { type RequestSchemaName, requestSchemas } from './schemas';

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const compiled = new Map<RequestSchemaName, ValidateFunction>();

export function validateBody<T>(schema: RequestSchemaName, body: unknown): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('The request body must be a JSON object.');
  }
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(requestSchemas[schema]);
    compiled.set(schema, validate);
  }
  if (validate(body)) return body as T;
  const fields: Record<string, string> = Object.create(null); // field names are user input: no inherited keys
  for (const e of simplify(validate.errors ?? [])) fields[e.field] ??= e.message;
  const detail = Object.entries(fields)
    .map(([field, message]) => `${field}: ${message}`)
    .join('; ');
  throw badRequest(`The request body is invalid. ${detail}`, fields);
}

/** Turns ajv's errors into one message per field, dropping the noise that oneOf produces. */
function simplify(errors: ErrorObject[]): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  for (const e of errors) {
    const path = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const underOneOf = [...oneOfPaths].some((p) => e.instancePath.startsWith(p) && e.keyword !== 'oneOf');
    if (underOneOf) continue;
    switch (e.keyword) {
      case 'additionalProperties': {
        const extra = String((e.params as { additionalProperty: string }).additionalProperty).slice(0, 60);
        out.push({ field: path ? `${path}.${extra}` : extra, message: `unknown field "${extra}"` });
        break;
      }
      case 'required': {
        const missing = (e.params as { missingProperty: string }).missingProperty;
        out.push({ field: path ? `${path}.${missing}` : missing, message: 'is required' });
        break;
      }
      case 'oneOf':
        out.push({ field: path || 'body', message: `has an unsupported shape${hint(path)}` });
        break;
      case 'const':
        out.push({ field: path, message: `must be "${(e.params as { allowedValue: unknown }).allowedValue}"` });
        break;
      case 'minProperties':
        out.push({ field: path || 'body', message: 'must name at least one field to change' });
        break;
      default:
        out.push({ field: path || 'body', message: e.message ?? 'is invalid' });
    }
  }
  return out;
}

function hint(path: string): string {
  if (path.endsWith('identity')) return ': use {"type":"user"} or {"type":"userAssigned","resourceId":"…"}';
  if (path.endsWith('environment')) return ': use {"mode":"default"} or {"mode":"customized","name":"…"}';
  if (path.endsWith('customApplication')) return ': use {"mode":"new"} or {"mode":"existing","name":"…"}';
  return '';
}
