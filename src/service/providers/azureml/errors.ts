/**
 * Azure ML answers become AppErrors that a chat user can act on: which role is missing, what does
 * not exist, what is in conflict, or that Azure is busy and to try again. Azure's own message is
 * quoted only after secret scrubbing and clipping; tokens and hosts never appear.
 */
import { redactSecrets } from '../../../domain/secrets';
import { AppError, type AppErrorOptions, ErrorCode } from '../../../errors';

/**
 * A failed call to Azure ML. `retryable` (a later attempt may work) and `retryAfterMs` (Azure's
 * hint) are every AppError's; the steps also read what Azure answered and whether a write may or
 * may not have happened.
 */
export class AzureMlError extends AppError {
  /** Azure's HTTP status; none when no answer came. */
  readonly azureStatus?: number;
  /** A write that may or may not have happened (no answer, or a 5xx): look before sending it again. */
  readonly ambiguous: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    options: AppErrorOptions & { azureStatus?: number; ambiguous?: boolean } = {},
  ) {
    super(code, message, options);
    this.name = 'AzureMlError';
    this.azureStatus = options.azureStatus;
    this.ambiguous = options.ambiguous ?? false;
  }
}

export interface ErrorContext {
  workspace: string;
  /** What the call was about, e.g. "runtime chat-dev". */
  what: string;
  method: string;
}

export interface AzureErrorBody {
  error?: { code?: string | null; message?: string | null; details?: { message?: string | null }[] | null } | null;
}

export function azureError(
  status: number,
  body: unknown,
  ctx: ErrorContext,
  extra: { retryAfterMs?: number } = {},
): AzureMlError {
  const azure = azureMessage(body);
  const quote = azure ? `: ${azure}` : '';
  const answer = { azureStatus: status, retryAfterMs: extra.retryAfterMs };
  const role = `the bot's identity needs the AzureML Data Scientist role on workspace ${ctx.workspace} (a new role assignment takes several minutes to apply)`;
  switch (status) {
    case 401:
      return new AzureMlError(
        ErrorCode.Forbidden,
        `Azure ML did not accept the bot's credentials (401). Check its identity (AZURE_TENANT_ID, AZURE_CLIENT_ID and secret, or the managed identity); ${role}.`,
        answer,
      );
    case 403:
      // A 403 with a code of its own (a compute instance that belongs to someone else, say) is not
      // about the role: say what Azure said rather than send people to fix role assignments.
      if (azure && !isAuthorizationFailure(body))
        return new AzureMlError(ErrorCode.Forbidden, `Azure ML refused this for ${ctx.what}${quote}.`, answer);
      return new AzureMlError(
        ErrorCode.Forbidden,
        `Azure ML refused to let the bot work on ${ctx.what} (403): ${role}.`,
        answer,
      );
    case 404:
      // A create that gets 404 misses something it refers to (a compute instance), not itself.
      return new AzureMlError(
        ErrorCode.NotFound,
        ctx.method === 'POST'
          ? `Azure ML could not find something that ${ctx.what} needs in workspace ${ctx.workspace}${quote}.`
          : `Azure ML has no ${ctx.what} in workspace ${ctx.workspace}${quote}.`,
        answer,
      );
    case 409:
      return new AzureMlError(
        ErrorCode.Conflict,
        `Azure ML reports a conflict on ${ctx.what}${quote || ': it already exists, or another change to it is in progress'}.`,
        answer,
      );
    case 408:
    case 429:
      return new AzureMlError(
        ErrorCode.Unavailable,
        `Azure ML is busy and asked the bot to slow down (${status}); try again${extra.retryAfterMs ? ` in ${Math.ceil(extra.retryAfterMs / 1000)} seconds` : ' in a minute'}.`,
        { ...answer, retryable: true },
      );
    default:
      if (status >= 500) {
        const write = ctx.method !== 'GET';
        return new AzureMlError(
          ErrorCode.Unavailable,
          `Azure ML is unavailable right now (${status}); try again in a few minutes.`,
          { ...answer, retryable: status !== 500 && status !== 501, ambiguous: write },
        );
      }
      return new AzureMlError(
        ErrorCode.BadRequest,
        `Azure ML refused the request for ${ctx.what} (${status})${quote}.`,
        answer,
      );
  }
}

/** No answer at all: the connection failed, or the call timed out. */
export function transportError(cause: unknown, ctx: ErrorContext, timeoutSeconds: number, sent: boolean): AzureMlError {
  const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
  const message = timedOut
    ? `Azure ML did not answer within ${timeoutSeconds} seconds; try again in a few minutes.`
    : 'The bot cannot reach Azure ML right now; try again in a few minutes.';
  return new AzureMlError(ErrorCode.Unavailable, message, {
    retryable: true,
    ambiguous: sent && ctx.method !== 'GET',
    cause: cause instanceof Error ? new Error(`${cause.name}: ${cause.message}`) : undefined,
  });
}

export function breakerOpenError(failures: number, retryInMs: number): AzureMlError {
  const seconds = Math.max(1, Math.ceil(retryInMs / 1000));
  return new AzureMlError(
    ErrorCode.Unavailable,
    `Azure ML failed ${failures} times in a row, so the bot paused its calls for ${seconds} seconds; try again shortly.`,
    { retryable: true, retryAfterMs: retryInMs },
  );
}

/** Azure's message (or the first detail's), scrubbed of secrets and clipped. */
export function azureMessage(body: unknown): string | undefined {
  const error = (body as AzureErrorBody | undefined)?.error;
  const text = error?.message ?? error?.details?.find((d) => d.message)?.message ?? undefined;
  if (!text) return undefined;
  const flat = redactSecrets(String(text)).replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}

export const isRetryable = (error: unknown): error is AppError => error instanceof AppError && error.retryable;

export const azureStatusOf = (error: unknown): number | undefined =>
  error instanceof AzureMlError ? error.azureStatus : undefined;

/** A write that may have happened although no good answer came back. */
export const isAmbiguous = (error: unknown): boolean => error instanceof AzureMlError && error.ambiguous;

/**
 * Is this 403 about the caller's permissions? Azure ML nests codes: a generic one (UserError) with
 * the specific one in innerError. No specific code at all counts as a permission failure too.
 */
function isAuthorizationFailure(body: unknown): boolean {
  const codes: string[] = [];
  let level = (body as { error?: { code?: unknown; innerError?: unknown } } | undefined)?.error as
    { code?: unknown; innerError?: unknown } | undefined;
  for (let depth = 0; level && depth < 5; depth++) {
    if (typeof level.code === 'string') codes.push(level.code);
    level = level.innerError as typeof level;
  }
  const specific = codes.filter((c) => !/^(UserError|SystemError|ValidationError)$/i.test(c));
  return specific.length === 0 || specific.some((c) => /authoriz|permission|forbidden|access|rbac|scope/i.test(c));
}
