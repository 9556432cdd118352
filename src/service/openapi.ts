/**
 * The OpenAPI 3.1 document of the runtime service, served at /v1/openapi.json. Schemas come from
 * http/schemas.ts, the same objects that validate requests.
 */

import type { RouteRegistrar } from './http/route';
import { handle, sendJson } from './http/route';
import { requestSchemas, responseSchemas } from './http/schemas';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const retryLater = (description: string) => ({
  ...problem(description),
  headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait before trying again.' } },
});
const errors = {
  '400': problem('Malformed request: bad JSON, wrong types, unknown fields, missing acting user.'),
  '401': problem('Missing or wrong bearer token (only when RUNTIME_SERVICE_TOKEN is set).'),
  '503': {
    ...problem(
      'Storage cannot be reached right now (code storage_unavailable). Try again after Retry-After; a change retried with the same Idempotency-Key returns its first operation.',
    ),
    headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait before trying again.' } },
  },
};
const accepted = {
  description: 'Accepted: the change runs as an operation. Poll Operation-Location.',
  headers: {
    'Operation-Location': { schema: { type: 'string' }, description: 'URL of the operation.' },
    'Idempotent-Replayed': {
      schema: { type: 'string' },
      description: '"true" when an Idempotency-Key matched an earlier request.',
    },
  },
  content: json(ref('Operation')),
};
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
const changeParams = [
  nameParam,
  {
    name: 'X-Acting-User-Id',
    in: 'header',
    required: true,
    schema: { type: 'string' },
    description: 'Entra object id of the user who asks.',
  },
  {
    name: 'X-Acting-User-Name',
    in: 'header',
    schema: { type: 'string' },
    description: 'Display name, percent-encoded.',
  },
  {
    name: 'Idempotency-Key',
    in: 'header',
    schema: { type: 'string', maxLength: 200 },
    description: 'A retry with the same key returns the first operation.',
  },
  {
    name: 'validateOnly',
    in: 'query',
    schema: { type: 'boolean' },
    description: 'Check the change without starting it: 200 with {valid, input, warnings}.',
  },
];
const change = (summary: string, body: object | undefined, extra: Record<string, unknown> = {}) => ({
  summary,
  parameters: changeParams,
  ...(body ? { requestBody: { required: true, content: json(body) } } : {}),
  responses: {
    '202': accepted,
    '200': {
      description: 'With validateOnly=true: the change would be accepted.',
      content: json({
        type: 'object',
        required: ['valid', 'input', 'warnings'],
        properties: {
          valid: { const: true },
          input: { type: 'object' },
          warnings: { type: 'array', items: { type: 'string' } },
        },
      }),
    },
    ...errors,
    '404': problem('No such runtime.'),
    '409': problem('The runtime exists already, is busy with another operation, or is in a state that forbids this.'),
    '422': problem('The request breaks a rule: field errors are under `errors`.'),
    '503': retryLater(
      'Too many concurrent changes to this runtime: nothing was changed. Send it again (with the same Idempotency-Key) after Retry-After.',
    ),
    ...extra,
  },
});
const list = (item: string) =>
  json({ type: 'object', required: ['value'], properties: { value: { type: 'array', items: ref(item) } } });
/** Reads a client may keep: ETag on 200, If-None-Match → 304, and which events the answer reflects. */
const ifNoneMatch = {
  name: 'If-None-Match',
  in: 'header',
  schema: { type: 'string' },
  description: 'An ETag of an earlier answer: 304 without a body when the answer would be the same.',
};
const cacheHeaders = (reflectsEvents: boolean) => ({
  ETag: { schema: { type: 'string' }, description: 'Strong validator of this answer, for If-None-Match.' },
  ...(reflectsEvents
    ? {
        'X-Last-Event-Id': {
          schema: { type: 'string' },
          description:
            'The newest event of GET /v1/events that this answer reflects. Answers come from an in-memory read model that follows the event log; they may lag a change made through another replica by about a second.',
        },
      }
    : {}),
});
const notModified = (reflectsEvents: boolean) => ({
  '304': { description: 'Not modified: the If-None-Match ETag is current.', headers: cacheHeaders(reflectsEvents) },
});
const cacheable = (summary: string, content: object, reflectsEvents: boolean) => ({
  summary,
  parameters: [ifNoneMatch],
  responses: {
    '200': { description: 'OK', headers: cacheHeaders(reflectsEvents), content },
    ...notModified(reflectsEvents),
    ...errors,
  },
});
const get = (summary: string, content: object, more: Record<string, unknown> = {}) => ({
  summary,
  responses: { '200': { description: 'OK', content }, ...errors, ...more },
});

export function buildOpenApi(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Prompt flow runtime service',
      version: '1.0.0',
      description:
        'Owns prompt flow runtimes for the chat-ops bot and other clients. Changes return 202 with an operation; errors are application/problem+json.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { ...responseSchemas, ...requestSchemas },
    },
    security: [{ bearer: [] }],
    paths: {
      '/v1/runtimes': {
        get: {
          summary: 'List runtimes, by name, paged.',
          parameters: [
            { name: 'status', in: 'query', schema: { type: 'string' }, description: 'Comma-separated statuses.' },
            { name: 'type', in: 'query', schema: { type: 'string' }, description: 'Comma-separated runtime types.' },
            { name: 'pageSize', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
            { name: 'pageToken', in: 'query', schema: { type: 'string' } },
            ifNoneMatch,
          ],
          responses: {
            ...notModified(true),
            '200': {
              description: 'A page of runtimes.',
              headers: cacheHeaders(true),
              content: json({
                type: 'object',
                required: ['value'],
                properties: {
                  value: { type: 'array', items: ref('Runtime') },
                  nextPageToken: { type: 'string' },
                  nextLink: { type: 'string' },
                },
              }),
            },
            ...errors,
          },
        },
      },
      '/v1/runtimes/{name}': {
        get: {
          ...get('Get a runtime. The ETag header is its version, for If-Match.', json(ref('Runtime')), {
            '404': problem('No such runtime.'),
          }),
          parameters: [nameParam],
        },
        put: change('Create a runtime.', {
          oneOf: [
            ref('CreateAutomaticRuntime'),
            ref('CreateComputeInstanceRuntime'),
            ref('CreateManagedOnlineDeploymentRuntime'),
          ],
        }),
        patch: change(
          'Edit a runtime (VM size, idle time, environment, instance count, description).',
          ref('UpdateRuntime'),
          {
            '412': problem("If-Match does not match the runtime's current ETag."),
          },
        ),
      },
      '/v1/runtimes/{name}/install': {
        post: change('Install packages, or save requirements only.', ref('InstallPackages')),
      },
      '/v1/runtimes/{name}/reset': {
        post: change('Delete and recreate with the same environment and the latest base image.', undefined),
      },
      '/v1/runtimes/{name}/stop': {
        post: change('Delete the runtime (and its compute when nothing else uses it).', undefined),
      },
      '/v1/runtimes/{name}/upgrade': { post: change('Move the runtime to the latest base image.', undefined) },
      '/v1/runtimes/{name}/version': {
        get: {
          ...get('Check whether a newer base image is published.', json(ref('VersionCheck'))),
          parameters: [nameParam],
        },
      },
      '/v1/operations/{id}': {
        get: {
          ...get('The state of one operation.', json(ref('Operation')), { '404': problem('No such operation.') }),
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        },
      },
      '/v1/compute-instances': {
        get: {
          ...get('Compute instances, with owner and assignee.', list('ComputeInstance')),
          parameters: [
            { name: 'usableBy', in: 'query', schema: { type: 'string' }, description: '`me` or an object id.' },
          ],
        },
      },
      '/v1/compute-instances/{name}/applications': {
        get: {
          ...get(
            'The custom applications on one compute instance.',
            json({
              type: 'object',
              required: ['value'],
              properties: {
                value: {
                  type: 'array',
                  items: { type: 'object', properties: { name: { type: 'string' }, image: { type: 'string' } } },
                },
              },
            }),
            { '404': problem('No such compute instance.') },
          ),
          parameters: [nameParam],
        },
      },
      '/v1/compute-instances/{name}/{action}': {
        post: {
          summary:
            'Start or stop a compute instance (owner or assignee); its runtimes are Unavailable while it is stopped.',
          parameters: [
            nameParam,
            { name: 'action', in: 'path', required: true, schema: { enum: ['start', 'stop'] } },
            changeParams[1],
          ],
          responses: {
            '200': {
              description: 'Done.',
              content: json({
                type: 'object',
                required: ['computeInstance', 'status', 'runtimes'],
                properties: {
                  computeInstance: { type: 'string' },
                  status: { type: 'string' },
                  runtimes: { type: 'array', items: { type: 'object' } },
                },
              }),
            },
            ...errors,
            '403': problem('Not the owner or assignee.'),
            '404': problem('No such compute instance.'),
          },
        },
      },
      '/v1/vm-sizes': { get: get('VM sizes, with quota.', list('VmSize')) },
      '/v1/environments': { get: get('Environments for compute instance runtimes.', list('Environment')) },
      '/v1/identities': { get: get('User-assigned managed identities.', list('ManagedIdentity')) },
      '/v1/summary': {
        get: cacheable(
          'The on-call summary: counts, failing, outdated, idle soon, busy, recent. Rebuilt when a runtime changes, when time moves one into or out of a section, and at least every 30 s (`generatedAt`).',
          json(ref('OnCallSummary')),
          true,
        ),
      },
      '/v1/versions': {
        get: cacheable(
          'Known image versions, the latest, and the outdated runtimes.',
          json(ref('VersionsReport')),
          false,
        ),
        post: {
          summary: 'Publish a new image version (admin).',
          requestBody: { required: true, content: json(ref('PublishVersion')) },
          responses: {
            '201': { description: 'Published.', content: json(ref('ImageVersion')) },
            '200': { description: 'Already known.', content: json(ref('ImageVersion')) },
            ...errors,
            '422': problem('Not a YYYYMMDD.vN tag.'),
          },
        },
      },
      '/v1/events': {
        get: {
          summary: 'Server-Sent Events; resume with Last-Event-ID. With `after`, one JSON page for polling workers.',
          parameters: [
            { name: 'Last-Event-ID', in: 'header', schema: { type: 'string' } },
            { name: 'types', in: 'query', schema: { type: 'string' }, description: 'Comma-separated event types.' },
            {
              name: 'after',
              in: 'query',
              schema: { type: 'string', pattern: '^\\d{1,12}$' },
              description: 'Answer a JSON page of the events after this id instead of a stream.',
            },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 500, default: 100 } },
          ],
          responses: {
            '200': {
              description: 'An event stream, or with `after` a page of events.',
              content: {
                'text/event-stream': { schema: { type: 'string' } },
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['value', 'next', 'head'],
                    properties: {
                      value: { type: 'array', items: ref('ServiceEvent') },
                      next: { type: 'string', description: 'The cursor for the next page.' },
                      head: { type: 'string', description: 'The newest event id in the log.' },
                    },
                  },
                },
              },
            },
            ...errors,
            '429': retryLater('This client holds as many open event streams as it may (EVENT_STREAMS_PER_CLIENT).'),
            '503': retryLater('This process serves as many open event streams as it may (EVENT_STREAMS_MAX).'),
          },
        },
      },
      '/v1/openapi.json': {
        get: { summary: 'This document.', security: [], responses: { '200': { description: 'OK' } } },
      },
      '/healthz': {
        get: {
          summary: 'Liveness.',
          security: [],
          responses: { '200': { description: 'OK', content: json(ref('Health')) } },
        },
      },
      '/readyz': {
        get: {
          summary: 'Readiness: provider and storage.',
          security: [],
          responses: {
            '200': { description: 'Ready', content: json(ref('Health')) },
            '503': { description: 'Degraded', content: json(ref('Health')) },
          },
        },
      },
    },
  };
}

export const registerOpenApiRoute: RouteRegistrar = (server, deps) => {
  const doc = buildOpenApi();
  server.get(
    '/v1/openapi.json',
    handle(deps, async (_req, res) => sendJson(res, 200, doc), { public: true }),
  );
};
