/**
 * Reads JSON request bodies with a size cap. Our own reader rather than restify's bodyParser, so
 * that every failure is a problem+json with a specific detail (413, 415, or 400 with the JSON
 * parser's position) instead of restify's generic errors.
 */
import type { Request } from 'restify';
import { AppError, badRequest, ErrorCode } from '../../errors';

export async function readJson(req: Request, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  const type = String(req.headers['content-type'] ?? '');
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
    throw new AppError(
      ErrorCode.UnsupportedMediaType,
      `Send the body as application/json (got ${type.slice(0, 60) || 'no Content-Type'}).`,
    );
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`The request body is not valid JSON: ${(error as Error).message.slice(0, 120)}.`);
  }
}

function tooLarge(maxBytes: number): AppError {
  return new AppError(ErrorCode.PayloadTooLarge, `The request body is larger than ${Math.round(maxBytes / 1024)} KB.`);
}
