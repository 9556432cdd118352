/**
 * The prompt flow OpenAPI subset (azureml-flow-runtime-openapi.json, a copy of the shared reference) turned into a
 * request router and validators for the fake. Schemas are OpenAPI 3.0: the whole document is added to one Ajv
 * instance (strict: false, ajv-formats, int32/int64 formats) and operations refer into it, so the components are
 * compiled once per process.
 *
 * Changes to the document at load, each because the wire format differs from it:
 *  - `nullable` without `type` is dropped (Ajv refuses it; such a schema accepts null anyway).
 *  - `RuntimeStatusEnum` becomes an open string: its enum has no healthy value (a healthy runtime has no status
 *    at all) and the generated client treats it as a case-insensitive open enum.
 *  - A 2xx answer may have an empty body where the document declares one: the recorded 202 of a FlowSessions POST
 *    has `content-length: 0` (test/fixtures/azureml/flowsessions-install.json).
 *  - The session poll route's 200 is `IActionResult` (an empty object) in the document, but the service answers
 *    `{"status": …, "error": {…}}` (promptflow's flow_service_caller reads `status` and `error.message`). It is
 *    validated against an added `SessionOperationStatus` schema instead.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fs from 'node:fs';
import path from 'node:path';

const DOC_ID = 'azureml-flow-runtime-openapi';
const DOCUMENT_PATH = path.join(__dirname, 'azureml-flow-runtime-openapi.json');
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
const RESPONSE_OVERRIDES: Record<string, string> = {
  'FlowSessions_PollOperationStatus 200': 'SessionOperationStatus',
};

type Json = Record<string, any>;

export interface ParameterSpec {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  /** The parameter's type after resolving a $ref (string, boolean, integer…), for coercing URL text. */
  type: string;
}

export interface Operation {
  operationId: string;
  method: string;
  template: string;
  segments: string[];
  literalSegments: number;
  parameters: ParameterSpec[];
  hasBody: boolean;
  validatePath: ValidateFunction;
  validateQuery: ValidateFunction;
  validateBody?: ValidateFunction;
  responses: Json;
}

export type MatchResult =
  { operation: Operation; pathParams: Record<string, string> } | { status: 404 | 405; message: string };

export interface RequestCheck {
  problems: string[];
  query: Record<string, unknown>;
  body: unknown;
}

export interface Validated extends Partial<RequestCheck> {
  problems: string[];
  /** Absent when no operation has this path (status 404) or method (405). */
  operation?: Operation;
  status?: 404 | 405;
  pathParams: Record<string, string>;
  query: Record<string, unknown>;
}

export class OpenApiSpec {
  private static instance?: OpenApiSpec;
  readonly operations: Operation[] = [];
  private readonly ajv: Ajv;
  private readonly schemaCache = new Map<string, ValidateFunction>();

  /** The document is compiled once per process. */
  static load(): OpenApiSpec {
    return (OpenApiSpec.instance ??= new OpenApiSpec(JSON.parse(fs.readFileSync(DOCUMENT_PATH, 'utf8')) as Json));
  }

  private constructor(readonly document: Json) {
    prepare(document);
    this.ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(this.ajv);
    this.ajv.addFormat('int32', {
      type: 'number',
      validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31,
    });
    this.ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
    this.ajv.addSchema(document, DOC_ID);
    for (const [template, item] of Object.entries(document.paths as Json)) {
      for (const method of METHODS) {
        if (item[method]) this.operations.push(this.compileOperation(template, method, item[method], item.parameters));
      }
    }
  }

  /** Finds the operation for a request path; literal segments win over templated ones, as in ASP.NET routing. */
  match(method: string, pathname: string): MatchResult {
    const segments = pathname.split('/');
    let pathMatched = false;
    let best: { operation: Operation; pathParams: Record<string, string> } | undefined;
    for (const operation of this.operations) {
      const pathParams = matchSegments(operation.segments, segments);
      if (!pathParams) continue;
      pathMatched = true;
      if (operation.method !== method.toLowerCase()) continue;
      if (!best || operation.literalSegments > best.operation.literalSegments) best = { operation, pathParams };
    }
    if (best) return best;
    if (pathMatched) return { status: 405, message: `${method} is not an operation of ${pathname}` };
    return { status: 404, message: `No operation of the API document has the path ${pathname}` };
  }

  /** match() then checkRequest(): everything the fake needs to know about a request against the document. */
  validate(method: string, url: URL, rawBody: string, contentType: string | undefined, tooLarge = false): Validated {
    const match = this.match(method, url.pathname);
    if (!('operation' in match)) return { status: match.status, problems: [match.message], pathParams: {}, query: {} };
    const { operation, pathParams } = match;
    if (tooLarge) return { operation, problems: ['the body is larger than the fake accepts'], pathParams, query: {} };
    return {
      operation,
      pathParams,
      ...this.checkRequest(operation, pathParams, url.searchParams, rawBody, contentType),
    };
  }

  /** Checks path and query parameters and the body against the operation; returns the typed query and parsed body. */
  checkRequest(
    operation: Operation,
    pathParams: Record<string, string>,
    search: URLSearchParams,
    rawBody: string,
    contentType: string | undefined,
  ): RequestCheck {
    const problems: string[] = [];
    const coerce = (name: string, where: 'path' | 'query', text: string): unknown => {
      const spec = operation.parameters.find((p) => p.name === name && p.in === where);
      if (spec?.type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
      if ((spec?.type === 'integer' || spec?.type === 'number') && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
      return text;
    };
    const pathValues = Object.fromEntries(Object.entries(pathParams).map(([k, v]) => [k, coerce(k, 'path', v)]));
    if (!operation.validatePath(pathValues)) problems.push(...describe('path', operation.validatePath.errors));
    const query: Record<string, unknown> = {};
    for (const name of new Set(search.keys())) {
      const values = search.getAll(name);
      if (values.length > 1) problems.push(`query parameter "${name}" is given ${values.length} times`);
      query[name] = coerce(name, 'query', values[0]);
    }
    if (!operation.validateQuery(query)) problems.push(...describe('query', operation.validateQuery.errors));
    let body: unknown;
    if (rawBody.length > 0) {
      if (!operation.hasBody) {
        problems.push(`${operation.operationId} takes no request body`);
      } else if (!/^application\/json\b/i.test(contentType ?? '')) {
        problems.push(`the body must be sent as application/json (Content-Type was ${contentType ?? 'missing'})`);
      } else {
        try {
          body = JSON.parse(rawBody);
        } catch {
          problems.push('the body is not valid JSON');
        }
        if (body !== undefined && operation.validateBody && !operation.validateBody(body)) {
          problems.push(...describe('body', operation.validateBody.errors));
        }
      }
    }
    return { problems, query, body };
  }

  /** Problems with a response body against the operation's documented response for that status (or `default`). */
  checkResponse(operation: Operation | undefined, status: number, body: unknown): string[] {
    if (body === undefined && status >= 200 && status < 300) return [];
    let ref: string | undefined;
    const override = operation && RESPONSE_OVERRIDES[`${operation.operationId} ${status}`];
    if (override) {
      ref = `#/components/schemas/${override}`;
    } else if (operation) {
      const response = operation.responses[String(status)] ?? operation.responses.default;
      if (!response) return [`${operation.operationId} documents no ${status} response`];
      const schema = response.content?.['application/json']?.schema;
      if (!schema) return body === undefined ? [] : [`${operation.operationId} ${status} documents no body`];
      return this.check(schema, body, 'response');
    } else {
      ref = '#/components/schemas/ErrorResponse';
    }
    return this.check({ $ref: ref }, body, 'response');
  }

  /** Problems with a value against a component schema, e.g. schemaProblems('ErrorResponse', body). */
  schemaProblems(component: string, value: unknown): string[] {
    return this.check({ $ref: `#/components/schemas/${component}` }, value, component);
  }

  private check(schema: Json, value: unknown, label: string): string[] {
    const key = JSON.stringify(schema);
    let validate = this.schemaCache.get(key);
    if (!validate) {
      validate = this.ajv.compile(rebase(schema));
      this.schemaCache.set(key, validate);
    }
    return validate(value) ? [] : describe(label, validate.errors);
  }

  private compileOperation(template: string, method: string, op: Json, shared: Json[] = []): Operation {
    const parameters: ParameterSpec[] = [];
    const schemas: Record<'path' | 'query', { properties: Json; required: string[] }> = {
      path: { properties: {}, required: [] },
      query: { properties: {}, required: [] },
    };
    for (const entry of [...shared, ...(op.parameters ?? [])]) {
      const param = entry.$ref ? this.resolve(entry.$ref) : entry;
      const schema = param.schema ?? {};
      const resolved = schema.$ref ? this.resolve(schema.$ref) : schema;
      parameters.push({ name: param.name, in: param.in, required: !!param.required, type: resolved.type ?? 'string' });
      if (param.in !== 'path' && param.in !== 'query') continue;
      schemas[param.in as 'path' | 'query'].properties[param.name] = schema;
      if (param.required) schemas[param.in as 'path' | 'query'].required.push(param.name);
    }
    const objectSchema = (s: { properties: Json; required: string[] }): Json => ({
      type: 'object',
      properties: s.properties,
      required: s.required,
      additionalProperties: false,
    });
    const bodySchema = op.requestBody?.content?.['application/json']?.schema;
    const segments = template.split('/');
    return {
      operationId: op.operationId,
      method,
      template,
      segments,
      literalSegments: segments.filter((s) => !s.startsWith('{')).length,
      parameters,
      hasBody: !!op.requestBody,
      validatePath: this.ajv.compile(rebase(objectSchema(schemas.path))),
      validateQuery: this.ajv.compile(rebase(objectSchema(schemas.query))),
      validateBody: bodySchema ? this.ajv.compile(rebase(bodySchema)) : undefined,
      responses: op.responses ?? {},
    };
  }

  private resolve(ref: string): Json {
    return ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((node: Json, key) => node?.[key], this.document);
  }
}

function matchSegments(template: string[], actual: string[]): Record<string, string> | undefined {
  if (template.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const t = template[i];
    if (t.startsWith('{') && t.endsWith('}')) {
      if (!actual[i]) return undefined;
      try {
        params[t.slice(1, -1)] = decodeURIComponent(actual[i]);
      } catch {
        return undefined;
      }
    } else if (t !== actual[i]) {
      return undefined;
    }
  }
  return params;
}

/** Local refs of an inline schema point into the document once it is compiled on its own. */
function rebase(schema: unknown): any {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (!schema || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? `${DOC_ID}${v}` : rebase(v)]),
  );
}

function prepare(document: Json): void {
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const obj = node as Json;
    if (obj.nullable !== undefined && obj.type === undefined) delete obj.nullable;
    for (const value of Object.values(obj)) walk(value);
  };
  walk(document.components);
  const schemas = document.components.schemas as Json;
  schemas.RuntimeStatusEnum = {
    type: 'string',
    description: `Open: the documented values are ${schemas.RuntimeStatusEnum.enum.join(', ')}; a healthy runtime's is not documented.`,
  };
  schemas.SessionOperationStatus = {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', minLength: 1 }, error: { $ref: '#/components/schemas/RootError' } },
    additionalProperties: false,
  };
}

function describe(where: string, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const extra =
      e.keyword === 'additionalProperties'
        ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"`
        : e.keyword === 'enum'
          ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})`
          : '';
    return `${where}${e.instancePath || ''} ${e.message ?? 'is invalid'}${extra}`;
  });
}
