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
  [fact: string]: unknown;
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
      retryAfterSeconds: outage.retryAfterSeconds,
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
      ...(error.facts ?? {}),
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
  if (typeof problem.retryAfterSeconds === 'number') res.setHeader('Retry-After', String(problem.retryAfterSeconds));
  // sendRaw marks the response as sent, so restify does not try to answer it again.
  res.sendRaw(problem.status, body, {
    'Content-Type': 'application/problem+json',
    'Content-Length': String(Buffer.byteLength(body)),
  });
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
