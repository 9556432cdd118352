/** Who is who in an approval: people compared by object id, the roles that may ask, and the system's own acts. */
import { SYSTEM_ACTOR } from '../audit/auditLog';
import type { ChatUser } from '../request';
import { normaliseObjectId } from '../policy/policy';

/** The roles that may request a change, and whose requests still run after approval. */
export const REQUESTER_ROLES = ['owner', 'dataScientist'] as const;

/** The actor of what time and operations do to a request (expiry, results). */
export const SYSTEM: ChatUser = SYSTEM_ACTOR;

export function mayRequest(roles: readonly string[]): boolean {
  return REQUESTER_ROLES.some((r) => roles.includes(r));
}

/** Object ids are GUIDs, compared case-insensitively as the policy compares them; ids keep their case when stored. */
export function sameUser(a: string, b: string): boolean {
  return normaliseObjectId(a) === normaliseObjectId(b);
}

export function person(user: ChatUser) {
  return { objectId: user.id, ...(user.name ? { name: user.name } : {}) };
}
