/**
 * JSON Schemas of the service's requests and responses. The same objects validate request bodies
 * (ajv) and make up the OpenAPI document, so the contract and the checks cannot drift apart.
 */
import {
  IDLE_MINUTES,
  KNOWN_STATUSES,
  OPERATION_KINDS,
  RUNTIME_NAME_PATTERN,
  RUNTIME_TYPES,
} from '../../domain/runtime';

const text = (maxLength: number) => ({ type: 'string', maxLength }) as const;
const person = {
  type: 'object',
  required: ['objectId'],
  properties: { objectId: text(64), name: text(200) },
} as const;
const error = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'string' } },
} as const;
const identity = {
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { const: 'user' } } },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'resourceId'],
      properties: { type: { const: 'userAssigned' }, resourceId: text(400) },
    },
  ],
} as const;
const environmentChoice = {
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['mode'], properties: { mode: { const: 'default' } } },
    {
      type: 'object',
      additionalProperties: false,
      required: ['mode', 'name'],
      properties: { mode: { const: 'customized' }, name: text(128) },
    },
  ],
} as const;
// Bounds are the emulator's rule (a 422 with a friendly message), not a shape error.
const idleTimeMinutes = {
  type: 'integer',
  description: `Minutes, ${IDLE_MINUTES.min} to ${IDLE_MINUTES.max}.`,
} as const;
const description = text(500);

export const requestSchemas = {
  CreateAutomaticRuntime: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'vmSize'],
    properties: {
      type: { const: 'automatic' },
      vmSize: text(64),
      idleTimeMinutes,
      identity,
      baseImage: text(300),
      pythonRequirementsTxt: text(200),
      requirements: text(100_000),
      description,
    },
  },
  CreateComputeInstanceRuntime: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'computeInstanceName', 'customApplication'],
    properties: {
      type: { const: 'computeInstance' },
      computeInstanceName: text(64),
      customApplication: {
        oneOf: [
          { type: 'object', additionalProperties: false, required: ['mode'], properties: { mode: { const: 'new' } } },
          {
            type: 'object',
            additionalProperties: false,
            required: ['mode', 'name'],
            properties: { mode: { const: 'existing' }, name: text(64) },
          },
        ],
      },
      environment: environmentChoice,
      description,
    },
  },
  CreateManagedOnlineDeploymentRuntime: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'endpointName', 'deploymentName', 'instanceType'],
    properties: {
      type: { const: 'managedOnlineDeployment' },
      endpointName: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9-]{2,31}$' },
      deploymentName: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9-]{2,31}$' },
      instanceType: text(64),
      instanceCount: { type: 'integer', minimum: 1, maximum: 20 },
      description,
    },
  },
  UpdateRuntime: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: {
      vmSize: text(64),
      idleTimeMinutes,
      description,
      environment: environmentChoice,
      instanceCount: { type: 'integer', minimum: 1, maximum: 20 },
    },
  },
  InstallPackages: {
    type: 'object',
    additionalProperties: false,
    required: ['requirements'],
    properties: { requirements: text(100_000), saveOnly: { type: 'boolean' } },
  },
  Empty: { type: 'object', additionalProperties: false, properties: {} },
  PublishVersion: {
    type: 'object',
    additionalProperties: false,
    required: ['tag'],
    properties: { tag: text(40), notes: text(1000) },
  },
} as const;

export type RequestSchemaName = keyof typeof requestSchemas;

const operationSummary = {
  type: 'object',
  required: ['id', 'kind', 'status', 'requestedBy', 'createdOn'],
  properties: {
    id: { type: 'string' },
    kind: { enum: OPERATION_KINDS },
    status: { enum: ['NotStarted', 'Running', 'Succeeded', 'Failed'] },
    requestedBy: person,
    createdOn: { type: 'string', format: 'date-time' },
    endedOn: { type: 'string', format: 'date-time' },
    error,
  },
} as const;

/** A row of an on-call summary list: text fields, these required. */
const summaryRow = (required: string[]) =>
  ({ type: 'object', required, additionalProperties: { type: 'string' } }) as const;

export const responseSchemas = {
  Person: person,
  Error: error,
  Runtime: {
    type: 'object',
    required: ['name', 'type', 'status', 'outdated', 'owner', 'createdOn', 'modifiedOn'],
    properties: {
      name: { type: 'string', pattern: RUNTIME_NAME_PATTERN },
      type: { enum: RUNTIME_TYPES },
      status: {
        type: 'string',
        description: `Known values: ${KNOWN_STATUSES.join(', ')}. Others pass through from Azure as they come.`,
      },
      statusMessage: { type: 'string' },
      error,
      description: { type: 'string' },
      imageVersion: { type: 'string' },
      latestVersion: { type: 'string' },
      outdated: { type: 'boolean' },
      owner: person,
      createdOn: { type: 'string', format: 'date-time' },
      modifiedOn: { type: 'string', format: 'date-time' },
      lastUsedOn: { type: 'string', format: 'date-time' },
      vmSize: { type: 'string' },
      idleTimeMinutes: { type: 'integer' },
      idleShutdownAt: { type: 'string', format: 'date-time' },
      identity,
      baseImage: { type: 'string' },
      pythonRequirementsTxt: { type: 'string' },
      packages: {
        type: 'array',
        items: { type: 'string' },
        description: 'Requirement lines, with feed tokens redacted.',
      },
      packagesInstalled: { type: 'boolean' },
      computeName: { type: 'string' },
      computeInstanceName: { type: 'string' },
      customApplication: {
        type: 'object',
        properties: { mode: { enum: ['new', 'existing'] }, name: { type: 'string' } },
      },
      environment: environmentChoice,
      endpointName: { type: 'string' },
      deploymentName: { type: 'string' },
      instanceType: { type: 'string' },
      instanceCount: { type: 'integer' },
      activeOperation: operationSummary,
      lastOperation: operationSummary,
    },
  },
  OperationSummary: operationSummary,
  Operation: {
    type: 'object',
    required: [
      'id',
      'kind',
      'runtimeName',
      'status',
      'requestedBy',
      'createdOn',
      'updatedOn',
      'input',
      'warnings',
      'steps',
    ],
    properties: {
      ...operationSummary.properties,
      runtimeName: { type: 'string' },
      updatedOn: { type: 'string', format: 'date-time' },
      input: { type: 'object', description: 'The request, normalized and redacted.' },
      warnings: { type: 'array', items: { type: 'string' } },
      steps: {
        type: 'array',
        items: {
          type: 'object',
          required: ['at', 'status', 'message'],
          properties: {
            at: { type: 'string', format: 'date-time' },
            status: { type: 'string' },
            runtimeStatus: { type: 'string' },
            message: { type: 'string' },
          },
        },
      },
    },
  },
  Problem: {
    type: 'object',
    required: ['type', 'title', 'status', 'detail', 'code'],
    properties: {
      type: { type: 'string' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      code: { type: 'string' },
      errors: { type: 'object', additionalProperties: { type: 'string' } },
      retryAfterMs: {
        type: 'integer',
        description: 'With 429 and 503: when to try again (also the Retry-After header).',
      },
      operationId: {
        type: 'string',
        description: 'With 409 busy and 422 idempotency_key_reused: the operation in the way.',
      },
    },
  },
  ComputeInstance: {
    type: 'object',
    required: ['name', 'vmSize', 'status', 'owner', 'applications'],
    properties: {
      name: { type: 'string' },
      vmSize: { type: 'string' },
      status: { type: 'string' },
      owner: person,
      assignedTo: person,
      applications: {
        type: 'array',
        items: { type: 'object', properties: { name: { type: 'string' }, image: { type: 'string' } } },
      },
    },
  },
  VmSize: {
    type: 'object',
    required: ['name', 'family', 'vCPUs', 'memoryGB', 'quotaAvailable'],
    properties: {
      name: { type: 'string' },
      family: { type: 'string' },
      vCPUs: { type: 'integer' },
      memoryGB: { type: 'number' },
      quotaAvailable: { type: 'boolean' },
    },
  },
  Environment: {
    type: 'object',
    required: ['name', 'version', 'kind', 'description'],
    properties: {
      name: { type: 'string' },
      version: { type: 'string' },
      kind: { enum: ['default', 'customized'] },
      description: { type: 'string' },
    },
  },
  ManagedIdentity: {
    type: 'object',
    required: ['name', 'resourceId', 'clientId', 'acrPull'],
    properties: {
      name: { type: 'string' },
      resourceId: { type: 'string' },
      clientId: { type: 'string' },
      acrPull: { type: 'boolean' },
    },
  },
  ImageVersion: {
    type: 'object',
    required: ['tag'],
    properties: {
      tag: { type: 'string' },
      notes: { type: 'string' },
      publishedOn: { type: 'string', format: 'date-time' },
    },
  },
  VersionCheck: {
    type: 'object',
    required: ['name', 'outdated', 'newer'],
    properties: {
      name: { type: 'string' },
      imageVersion: { type: 'string' },
      latestVersion: { type: 'string' },
      outdated: { type: 'boolean' },
      newer: { type: 'array', items: { $ref: '#/components/schemas/ImageVersion' } },
    },
  },
  VersionsReport: {
    type: 'object',
    required: ['repository', 'versions', 'outdated'],
    properties: {
      repository: { type: 'string' },
      latest: { type: 'string' },
      versions: { type: 'array', items: { $ref: '#/components/schemas/ImageVersion' } },
      outdated: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name', 'type', 'newer'],
          properties: {
            name: { type: 'string' },
            type: { enum: RUNTIME_TYPES },
            imageVersion: { type: 'string' },
            newer: { type: 'array', items: { type: 'string' } },
          },
        },
      },
    },
  },
  Health: {
    type: 'object',
    required: ['status'],
    properties: {
      status: { enum: ['ok', 'degraded'] },
      provider: { type: 'object' },
      storage: { type: 'object' },
    },
  },
  OnCallSummary: {
    type: 'object',
    required: ['total', 'byStatus', 'failing', 'outdated', 'idleSoon', 'busy', 'recent', 'generatedAt'],
    properties: {
      total: { type: 'integer', minimum: 0 },
      byStatus: { type: 'object', additionalProperties: { type: 'integer' } },
      failing: { type: 'array', items: summaryRow(['name', 'status', 'reason']) },
      outdated: { type: 'array', items: summaryRow(['name']) },
      idleSoon: { type: 'array', items: summaryRow(['name', 'at']) },
      busy: { type: 'array', items: summaryRow(['name', 'kind', 'by']) },
      recent: { type: 'array', items: summaryRow(['name', 'kind', 'status', 'by', 'at']) },
      latestVersion: { type: 'string' },
      generatedAt: { type: 'string', format: 'date-time' },
    },
  },
  ServiceEvent: {
    type: 'object',
    required: ['id', 'type', 'time', 'data'],
    properties: {
      id: { type: 'string', pattern: '^\\d{12}$' },
      type: { type: 'string' },
      time: { type: 'string', format: 'date-time' },
      data: { type: 'object' },
    },
  },
} as const;
