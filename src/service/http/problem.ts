/**
 * The one place where coded errors become HTTP answers: RFC 9457 problem+json, with a specific
 * `detail`, field errors under `errors`, and never a 500 for a client's mistake.
 */
import type { Response } from 'restify';
import { AppError, ErrorCode } from '../../errors';
import { storageOutageOf } from '../../storage/storage';

const STATUS: Record<ErrorCode, number> = {
  [ErrorCode.BadRequest]: 400,
  [ErrorCode.InvalidField]: 422,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.Busy]: 409,
  [ErrorCode.PreconditionFailed]: 412,
  [ErrorCode.IdempotencyMismatch]: 422,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.UnsupportedMediaType]: 415,
  [ErrorCode.Unavailable]: 503,
  [ErrorCode.Overloaded]: 503,
  [ErrorCode.TooManyRequests]: 429,
  [ErrorCode.Internal]: 500,
};

const TITLE: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  412: 'Precondition failed',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Service unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: Record<string, string>;
  /** With 429 and 503: the Retry-After header, in the body. */
  retryAfterMs?: number;
  /** With 409 busy and 422 idempotency_key_reused: the operation in the way. */
  operationId?: string;
}

export function toProblem(error: unknown): Problem {
  const outage = storageOutageOf(error);
  if (outage) {
    // The service's fault and a passing one: never a 500, and the cause stays in the log.
    return {
      type: 'https://promptflow-runtime-bot.dev/problems/storage_unavailable',
      title: TITLE[503],
      status: 503,
      detail: 'The runtime service cannot reach its storage right now. Try again in a few seconds.',
      code: 'storage_unavailable',
      retryAfterMs: outage.retryAfterSeconds * 1000,
    };
  }
  if (error instanceof AppError) {
    const status = STATUS[error.code];
    return {
      type: `https://promptflow-runtime-bot.dev/problems/${error.code}`,
      title: TITLE[status] ?? 'Error',
      status,
      detail: error.message,
      code: error.code,
      ...(error.fields ? { errors: error.fields } : {}),
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
      ...(error.operationId ? { operationId: error.operationId } : {}),
    };
  }
  return {
    type: 'https://promptflow-runtime-bot.dev/problems/internal',
    title: TITLE[500],
    status: 500,
    detail: 'The runtime service hit an unexpected error. It has been logged; try again.',
    code: ErrorCode.Internal,
  };
}

export function sendProblem(res: Response, problem: Problem): void {
  const body = JSON.stringify(problem);
  if (problem.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="runtime-service"');
  const retryAfter = retryAfterSeconds(problem);
  if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
  // sendRaw marks the response as sent, so restify does not try to answer it again.
  res.sendRaw(problem.status, body, {
    'Content-Type': 'application/problem+json',
    'Content-Length': String(Buffer.byteLength(body)),
  });
}

/** When the service asks a client to wait before trying again. */
const DEFAULT_RETRY_AFTER_MS = 5000;

/**
 * 429 and 503 always say when to try again (RFC 9110 §10.2.3): the error's own hint
 * (`retryAfterMs`), else a default. A change sent with its Idempotency-Key is safe to repeat.
 */
function retryAfterSeconds(problem: Problem): number | undefined {
  if (problem.status !== 429 && problem.status !== 503) return undefined;
  return Math.max(1, Math.ceil((problem.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS) / 1000));
}

export function methodProblem(method: string, path: string): Problem {
  return {
    type: 'https://promptflow-runtime-bot.dev/problems/method_not_allowed',
    title: TITLE[405],
    status: 405,
    detail: `${method} is not supported on ${path}.`,
    code: 'method_not_allowed',
  };
}
