/**
 * Caps on open event streams: per client (its bearer token, else its address) and in total, so
 * that one client cannot take every stream and a process cannot be drowned in them. A refused
 * stream gets 429 (this client has enough) or 503 (the process has enough), with Retry-After.
 */
import { createHash } from 'node:crypto';
import { AppError, ErrorCode } from '../../errors';

export interface StreamCaps {
  /** Streams one process serves at most. */
  total: number;
  /** Streams one client (bearer token, else remote address) may hold at once. */
  perClient: number;
}

/** How long a refused client is asked to wait: streams are long-lived, so not a moment. */
const RETRY_AFTER_MS = 30_000;

export class StreamLimits {
  private open = 0;
  private readonly byClient = new Map<string, number>();

  constructor(private readonly caps: StreamCaps) {}

  /** Counts a new stream of `client`, or refuses it; call the returned function when it closes. */
  admit(client: string): () => void {
    const held = this.byClient.get(client) ?? 0;
    if (held >= this.caps.perClient) {
      throw new AppError(
        ErrorCode.TooManyRequests,
        `This client already has ${held} open event streams, the most allowed; close one, or read pages with ?after=.`,
        { retryAfterMs: RETRY_AFTER_MS },
      );
    }
    if (this.open >= this.caps.total) {
      throw new AppError(
        ErrorCode.Unavailable,
        'The service has as many open event streams as it serves; try again later, or read pages with ?after=.',
        { retryAfterMs: RETRY_AFTER_MS },
      );
    }
    this.open += 1;
    this.byClient.set(client, held + 1);
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      this.open -= 1;
      const left = (this.byClient.get(client) ?? 1) - 1;
      if (left > 0) this.byClient.set(client, left);
      else this.byClient.delete(client);
    };
  }
}

/** Who a stream belongs to: a hash of its bearer token (never the token itself), else its address. */
export function streamClient(authorization: string | undefined, remoteAddress: string | undefined): string {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (token) return `token:${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
  return `address:${remoteAddress ?? 'unknown'}`;
}
