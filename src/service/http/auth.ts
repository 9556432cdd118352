/**
 * Who is calling. A bearer token (RUNTIME_SERVICE_TOKEN) guards the API when it is set, and every
 * call names the acting user (Entra object id) for the audit trail; changes require one.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'restify';
import type { Person } from '../../domain/runtime';
import { AppError, badRequest, ErrorCode } from '../../errors';

export const ACTOR_ID_HEADER = 'x-acting-user-id';
export const ACTOR_NAME_HEADER = 'x-acting-user-name';
const OBJECT_ID = /^[A-Za-z0-9-]{1,64}$/;

export function checkBearer(req: Request, token: string | undefined): void {
  if (!token) return;
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match)
    throw new AppError(
      ErrorCode.Unauthorized,
      'A bearer token is required: send Authorization: Bearer <RUNTIME_SERVICE_TOKEN>.',
    );
  const given = Buffer.from(match[1].trim());
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AppError(ErrorCode.Unauthorized, 'The bearer token is not valid for this runtime service.');
  }
}

/** The acting user named by the request, or undefined when it names none. */
export function actorOf(req: Request): Person | undefined {
  const id = header(req, ACTOR_ID_HEADER);
  if (id === undefined) return undefined;
  if (!OBJECT_ID.test(id)) throw badRequest(`${ACTOR_ID_HEADER} must be an Entra object id.`);
  const rawName = header(req, ACTOR_NAME_HEADER);
  let name: string | undefined;
  try {
    name = rawName ? decodeURIComponent(rawName).slice(0, 200) : undefined;
  } catch {
    throw badRequest(`${ACTOR_NAME_HEADER} must be percent-encoded UTF-8.`);
  }
  return { objectId: id, ...(name ? { name } : {}) };
}

export function requireActor(req: Request): Person {
  const actor = actorOf(req);
  if (!actor)
    throw badRequest(`Changes must name the acting user in the ${ACTOR_ID_HEADER} header (an Entra object id).`);
  return actor;
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
