/**
 * Coded errors. Every expected failure is an AppError with a code; the HTTP edge maps codes to
 * status codes (service/http/problem.ts) and the chat edge maps them to user text. Anything that
 * is not an AppError is a bug and is shown to users only as a generic message. What code decides
 * on (retry or not, how long to wait, where the error came from) is a typed field or a subclass.
 */
export const ErrorCode = {
  BadRequest: 'bad_request',
  InvalidField: 'invalid_field',
  NotFound: 'not_found',
  Conflict: 'conflict',
  Busy: 'runtime_busy',
  PreconditionFailed: 'precondition_failed',
  IdempotencyMismatch: 'idempotency_key_reused',
  Unauthorized: 'unauthorized',
  Forbidden: 'forbidden',
  PayloadTooLarge: 'payload_too_large',
  UnsupportedMediaType: 'unsupported_media_type',
  Unavailable: 'unavailable',
  /** Too many concurrent changes to one record: nothing was done, the same request may be sent again. */
  Overloaded: 'overloaded',
  /** This client holds too many of a limited resource (event streams). */
  TooManyRequests: 'too_many_requests',
  Internal: 'internal',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Field-level problems, keyed by the request field's name (e.g. `idleTimeMinutes`). */
export type FieldErrors = Record<string, string>;

export interface AppErrorOptions {
  fields?: FieldErrors;
  /** The same request, unchanged, may work later (a busy or unreachable dependency). */
  retryable?: boolean;
  /** How long to wait before that, when the failing side said so. */
  retryAfterMs?: number;
  /** The operation a conflict is about (the one in progress, or the one a reused key started). */
  operationId?: string;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly fields?: FieldErrors;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly operationId?: string;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.fields = options.fields;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.operationId = options.operationId;
  }
}

/**
 * An answer of the runtime service, as its client reads it: `status` is the HTTP status it sent
 * (or would send: the client refuses a name no runtime can have with the service's 404). Its
 * message may quote what a user typed.
 */
export class RuntimeServiceError extends AppError {
  readonly status: number;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions & { status: number }) {
    super(code, message, options);
    this.name = 'RuntimeServiceError';
    this.status = options.status;
  }
}

export const badRequest = (message: string, fields?: FieldErrors) =>
  new AppError(ErrorCode.BadRequest, message, { fields });
export const invalidField = (message: string, fields: FieldErrors) =>
  new AppError(ErrorCode.InvalidField, message, { fields });
export const notFound = (message: string) => new AppError(ErrorCode.NotFound, message);
export const conflict = (message: string) => new AppError(ErrorCode.Conflict, message);

/** Single-field 422, the most common validation failure. */
export function fieldError(field: string, message: string): AppError {
  return invalidField(message, { [field]: message });
}
