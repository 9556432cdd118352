/**
 * Coded errors. Every expected failure is an AppError with a code; the HTTP edge maps codes to
 * status codes (service/http/problem.ts) and the chat edge maps them to user text. Anything that
 * is not an AppError is a bug and is shown to users only as a generic message.
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

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly fields?: FieldErrors;
  /** Extra machine-readable facts (operation id of a conflict, retry hints…). */
  readonly facts?: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { fields?: FieldErrors; facts?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.fields = options.fields;
    this.facts = options.facts;
  }
}

export const badRequest = (message: string, fields?: FieldErrors) =>
  new AppError(ErrorCode.BadRequest, message, { fields });
export const invalidField = (message: string, fields: FieldErrors) =>
  new AppError(ErrorCode.InvalidField, message, { fields });
export const notFound = (message: string) => new AppError(ErrorCode.NotFound, message);
export const conflict = (message: string, facts?: Record<string, unknown>) =>
  new AppError(ErrorCode.Conflict, message, { facts });

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Single-field 422, the most common validation failure. */
export function fieldError(field: string, message: string): AppError {
  return invalidField(message, { [field]: message });
}
