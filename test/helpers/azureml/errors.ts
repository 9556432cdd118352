/**
 * Error bodies in the API's `ErrorResponse` shape: a RootError whose `code` is one of the documented families
 * (ServiceError, UserError, ValidationError, TransientError, RequestThrottled) with the specific reason in
 * `innerError.code`, plus correlation ids, location, time and component, as Azure ML answers.
 */
import { randomUUID } from 'node:crypto';

export type RootErrorCode = 'ServiceError' | 'UserError' | 'ValidationError' | 'TransientError' | 'RequestThrottled';

export interface RootError {
  code: RootErrorCode;
  message: string;
  severity?: number | null;
  messageFormat?: string;
  messageParameters?: Record<string, string>;
  target?: string;
  details?: Array<{ code: string; message: string; target?: string }>;
  innerError?: { code: string };
}

export interface ErrorResponseBody {
  error: RootError;
  correlation: Record<string, string>;
  environment: string;
  location: string;
  time: string;
  componentName: string;
}

/** An error a handler throws; the server turns it into an ErrorResponse with this status. */
export class FakeApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: RootErrorCode,
    readonly innerCode: string,
    message: string,
    readonly extra: Partial<Pick<RootError, 'target' | 'messageParameters' | 'details' | 'messageFormat'>> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (what: string): FakeApiError =>
  new FakeApiError(404, 'UserError', 'NotFound', `${what} not found.`);
export const conflict = (message: string): FakeApiError => new FakeApiError(409, 'UserError', 'Conflict', message);
export const badRequest = (message: string, target?: string): FakeApiError =>
  new FakeApiError(400, 'UserError', 'BadArgument', message, target ? { target } : {});

export function rootError(
  code: RootErrorCode,
  innerCode: string,
  message: string,
  extra: Partial<RootError> = {},
): RootError {
  return { code, severity: null, message, ...extra, innerError: { code: innerCode } };
}

export function errorResponse(error: RootError, location: string): ErrorResponseBody {
  return {
    error,
    correlation: { operation: randomUUID().replace(/-/g, ''), request: randomUUID().replace(/-/g, '').slice(0, 16) },
    environment: location,
    location,
    time: new Date().toISOString(),
    componentName: 'PromptFlowService',
  };
}

/** What an injected or generic failure of a status looks like. */
export const STATUS_ERRORS: Record<number, { code: RootErrorCode; innerCode: string; message: string }> = {
  400: { code: 'ValidationError', innerCode: 'BadArgument', message: 'The request is invalid.' },
  401: { code: 'UserError', innerCode: 'InvalidAuthenticationToken', message: 'The access token is invalid.' },
  403: {
    code: 'UserError',
    innerCode: 'AuthorizationFailed',
    message: 'The client does not have authorization to perform this action.',
  },
  404: { code: 'UserError', innerCode: 'NotFound', message: 'The requested resource was not found.' },
  405: { code: 'UserError', innerCode: 'MethodNotAllowed', message: 'The method is not allowed on this resource.' },
  408: { code: 'TransientError', innerCode: 'RequestTimeout', message: 'The request timed out.' },
  409: {
    code: 'UserError',
    innerCode: 'Conflict',
    message: 'The request conflicts with the current state of the resource.',
  },
  429: {
    code: 'RequestThrottled',
    innerCode: 'TooManyRequests',
    message: 'Too many requests: the request was throttled. Retry after the time in the Retry-After header.',
  },
  500: { code: 'ServiceError', innerCode: 'InternalServerError', message: 'An internal server error occurred.' },
  501: {
    code: 'ServiceError',
    innerCode: 'NotImplemented',
    message: 'The fake Azure ML API does not implement this operation.',
  },
  502: {
    code: 'TransientError',
    innerCode: 'BadGateway',
    message: 'The gateway received an invalid response from the upstream service.',
  },
  503: { code: 'TransientError', innerCode: 'ServiceUnavailable', message: 'The service is unavailable. Retry later.' },
  504: {
    code: 'TransientError',
    innerCode: 'GatewayTimeout',
    message: 'The gateway timed out waiting for the upstream service.',
  },
};

/** The error of a bare status (an injected fault, or `down`), with Retry-After on 429/503 unless told otherwise. */
export function statusError(status: number, retryAfterSeconds?: number, retryAfter = true): FakeApiError {
  const known = STATUS_ERRORS[status] ?? STATUS_ERRORS[500];
  const headers: Record<string, string> = {};
  if (retryAfter && (status === 429 || status === 503)) headers['retry-after'] = String(retryAfterSeconds ?? 1);
  if (status === 401)
    headers['www-authenticate'] = `Bearer error="invalid_token", error_description="${known.message}"`;
  return new FakeApiError(status, known.code, known.innerCode, known.message, {}, headers);
}
