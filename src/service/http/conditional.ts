/**
 * JSON answers that a client may keep: an ETag on every 200, and 304 Not Modified without a body
 * when the request's If-None-Match names the current one. The ETag is a hash of the exact bytes,
 * so it is a strong validator.
 */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'restify';

/** A body serialised once, with its ETag; cacheable by whoever builds it. */
export interface Representation {
  text: string;
  eTag: string;
}

export function represent(body: unknown): Representation {
  const text = JSON.stringify(body);
  return { text, eTag: `"${createHash('sha1').update(text).digest('base64url')}"` };
}

export function sendRepresentation(
  req: Request,
  res: Response,
  rep: Representation,
  headers: Record<string, string> = {},
): void {
  if (noneMatch(req.headers['if-none-match'], rep.eTag)) {
    res.writeHead(304, { ETag: rep.eTag, ...headers });
    res.end();
    return;
  }
  res.sendRaw(200, rep.text, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(rep.text)),
    ETag: rep.eTag,
    ...headers,
  });
}

/** If-None-Match uses the weak comparison (RFC 9110 §13.1.2): `W/` is ignored, `*` matches anything. */
function noneMatch(header: string | string[] | undefined, eTag: string): boolean {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return false;
  return value
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === eTag);
}
