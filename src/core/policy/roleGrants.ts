/**
 * Roles granted and revoked from chat, kept in storage as an overlay on the policy file. The
 * overlay is an ordered log of changes, so it doubles as the audit trail of who changed what; the
 * latest change for a person and role is the one in force (PolicyStore combines it with the file).
 */
import { type Clock, iso } from '../../clock';
import { badRequest } from '../../errors';
import { Collection } from '../../storage/collection';
import type { Storage } from '../../storage/storage';
import { normaliseObjectId, OBJECT_ID, ROLES, type Role } from './policy';

export interface RoleChange {
  objectId: string;
  role: Role;
  change: 'grant' | 'revoke';
  by: string;
  at: string;
  name?: string;
}

interface Overlay {
  changes: RoleChange[];
}

/** One record holds the whole overlay; past this many changes, superseded ones are dropped. */
export const MAX_ROLE_CHANGES = 1000;
const OVERLAY_ID = 'role-grants';

export class RoleGrants {
  private readonly records: Collection<Overlay>;
  /** Names seen in grants, so display names survive without another storage read. */
  private readonly names = new Map<string, string>();

  constructor(
    storage: Storage,
    private readonly clock: Clock,
  ) {
    this.records = new Collection<Overlay>(storage, 'policy');
  }

  grant(objectId: string, role: Role, by: string, name?: string): Promise<RoleChange> {
    return this.record(objectId, role, by, 'grant', name);
  }

  revoke(objectId: string, role: Role, by: string): Promise<RoleChange> {
    return this.record(objectId, role, by, 'revoke');
  }

  /** Every change still kept, oldest first. */
  async changes(): Promise<RoleChange[]> {
    const changes = (await this.records.get(OVERLAY_ID))?.changes ?? [];
    for (const c of changes) if (c.name) this.names.set(c.objectId, c.name);
    return changes;
  }

  /** The change in force for each person and role: the latest one. Keyed `${objectId} ${role}`. */
  async effective(): Promise<Map<string, RoleChange>> {
    const latest = new Map<string, RoleChange>();
    for (const c of await this.changes()) latest.set(`${c.objectId} ${c.role}`, c);
    return latest;
  }

  /** The last display name a grant gave this person, if any change we have read carried one. */
  nameOf(objectId: string): string | undefined {
    return this.names.get(normaliseObjectId(objectId));
  }

  private async record(
    objectId: string,
    role: Role,
    by: string,
    change: RoleChange['change'],
    name?: string,
  ): Promise<RoleChange> {
    if (!OBJECT_ID.test(objectId.trim())) throw badRequest(`"${objectId.slice(0, 80)}" is not an Entra object id.`);
    if (!(ROLES as readonly string[]).includes(role))
      throw badRequest(`"${role}" is not a role; roles are ${ROLES.join(', ')}.`);
    if (!by.trim()) throw badRequest('A role change needs the object id of the person making it.');
    const entry: RoleChange = {
      objectId: normaliseObjectId(objectId),
      role,
      change,
      by: normaliseObjectId(by),
      at: '',
    };
    const shown = name?.trim().slice(0, 200);
    if (shown) entry.name = shown;
    await this.records.update(OVERLAY_ID, (current) => {
      // Stamp inside the loop so a retried write still records when it actually happened.
      entry.at = iso(this.clock.now());
      return { changes: compact([...(current?.changes ?? []), entry]) };
    });
    if (entry.name) this.names.set(entry.objectId, entry.name);
    return { ...entry };
  }
}

/** Drops the oldest changes that a later change for the same person and role overrides. */
function compact(changes: RoleChange[]): RoleChange[] {
  if (changes.length <= MAX_ROLE_CHANGES) return changes;
  const lastIndex = new Map<string, number>();
  for (const [i, c] of changes.entries()) lastIndex.set(`${c.objectId} ${c.role}`, i);
  let excess = changes.length - MAX_ROLE_CHANGES;
  return changes.filter((c, i) => {
    if (excess > 0 && lastIndex.get(`${c.objectId} ${c.role}`) !== i) {
      excess--;
      return false;
    }
    return true;
  });
}
