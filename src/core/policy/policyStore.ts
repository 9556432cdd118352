/**
 * The policy in force: the POLICY_FILE (reloaded when it changes, without a restart) combined with
 * the role overlay in storage. A broken edit is logged and the previous policy stays, so a typo
 * cannot open the bot to everyone or lock everyone out. No file at all means open mode:
 * `current()` is undefined and callers let everyone do everything without approvals. config.ts allows
 * that only in local mode or as POLICY_FILE=none: with an app id, a missing POLICY_FILE stops start-up.
 *
 * How the file and the overlay combine, per person and role: the file gives roles; the latest
 * overlay change for that person and role overrides the file (a revoke removes a role the file
 * gives, a later grant restores it). Removing someone from the file takes their file roles away on
 * the next reload; a role granted in chat stays until it is revoked in chat. People who end up
 * with no role get the policy's defaultRole.
 */
import { promises as fs, type Stats, unwatchFile, watchFile } from 'node:fs';
import type { Clock } from '../../clock';
import type { Logger } from '../../logger';
import type { Storage } from '../../storage/storage';
import { MAX_POLICY_BYTES, normaliseObjectId, type Policy, PolicyError, parsePolicy, ROLES, type Role } from './policy';
import { RoleGrants } from './roleGrants';

export interface PolicyStoreOptions {
  file?: string;
  storage: Storage;
  clock: Clock;
  log: Logger;
  /** How often the file is polled for changes; fs.watchFile polls, which works on every file system. */
  pollMs?: number;
}

export interface PersonRoles {
  objectId: string;
  name?: string;
  roles: Role[];
}

export class PolicyStore {
  readonly grants: RoleGrants;
  private readonly file?: string;
  private readonly log: Logger;
  private readonly pollMs: number;
  private policy?: Policy;
  private error?: PolicyError;
  private watching = false;
  /** Reloads run one after another, so a slow read cannot overwrite a newer one. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The file as it was when last read, to catch edits made before the watcher took its first look. */
  private readStat?: Stats;
  private readonly onChange = (curr: Stats, prev: Stats) => {
    if (differs(curr, prev)) void this.reload();
  };

  constructor(options: PolicyStoreOptions) {
    this.file = options.file;
    this.log = options.log.child({ component: 'policy' });
    this.pollMs = options.pollMs ?? 1000;
    this.grants = new RoleGrants(options.storage, options.clock);
  }

  /** The first load. A broken file throws, so the service refuses to start with the message. */
  async load(): Promise<void> {
    if (!this.file) {
      // Chosen on purpose (POLICY_FILE=none, or local mode without the Playground), but worth seeing in any log.
      this.log.warn('no policy file configured; everyone may manage runtimes without approvals');
      return;
    }
    const result = await this.reload();
    if (!result.ok) throw result.error;
  }

  start(): void {
    if (!this.file || this.watching) return;
    this.watching = true;
    watchFile(this.file, { interval: this.pollMs, persistent: false }, this.onChange);
    // An edit between load() and now is already in the watcher's baseline, so look once ourselves.
    void fs.stat(this.file).then(
      (stat) => (this.watching && (!this.readStat || differs(stat, this.readStat)) ? this.reload() : undefined),
      () => (this.watching ? this.reload() : undefined),
    );
  }

  stop(): void {
    if (!this.file || !this.watching) return;
    this.watching = false;
    unwatchFile(this.file, this.onChange);
  }

  reload(): Promise<{ ok: true } | { ok: false; error: PolicyError }> {
    const next = this.queue.then(() => this.readFile());
    this.queue = next;
    return next;
  }

  current(): Policy | undefined {
    return this.policy;
  }

  lastError(): PolicyError | undefined {
    return this.error;
  }

  async rolesOf(objectId: string): Promise<Role[]> {
    const policy = this.policy;
    if (!policy) return [];
    const id = normaliseObjectId(objectId);
    const overlay = await this.grants.effective();
    const held = ROLES.filter((role) => {
      const change = overlay.get(`${id} ${role}`);
      return change ? change.change === 'grant' : policy.roles[role].includes(id);
    });
    return held.length === 0 && policy.defaultRole ? [policy.defaultRole] : held;
  }

  async hasRole(objectId: string, role: Role): Promise<boolean> {
    return (await this.rolesOf(objectId)).includes(role);
  }

  /** Everyone who holds the role by name (the file or the overlay); defaultRole holders are not listed. */
  async people(role: Role): Promise<{ objectId: string; name?: string }[]> {
    return (await this.roster())
      .filter((p) => p.roles.includes(role))
      .map(({ objectId, name }) => (name ? { objectId, name } : { objectId }));
  }

  /** Everyone the file or the overlay names, with the roles they hold now; for the "roles" command. */
  async roster(): Promise<PersonRoles[]> {
    const policy = this.policy;
    if (!policy) return [];
    const overlay = await this.grants.effective();
    const ids = new Set<string>(ROLES.flatMap((role) => policy.roles[role]));
    for (const change of overlay.values()) ids.add(change.objectId);
    const out: PersonRoles[] = [];
    for (const objectId of ids) {
      const roles = ROLES.filter((role) => {
        const change = overlay.get(`${objectId} ${role}`);
        return change ? change.change === 'grant' : policy.roles[role].includes(objectId);
      });
      if (roles.length === 0) continue;
      const name = this.nameOf(objectId);
      out.push(name ? { objectId, name, roles } : { objectId, roles });
    }
    return out.sort((a, b) => (a.name ?? a.objectId).localeCompare(b.name ?? b.objectId));
  }

  /** The file's name for a person, else the last name a chat grant gave them. */
  nameOf(objectId: string): string | undefined {
    const id = normaliseObjectId(objectId);
    const names = this.policy?.names;
    return (names && Object.hasOwn(names, id) ? names[id] : undefined) ?? this.grants.nameOf(id);
  }

  private async readFile(): Promise<{ ok: true } | { ok: false; error: PolicyError }> {
    const file = this.file;
    if (!file) return { ok: true };
    try {
      let text: string;
      try {
        this.readStat = await fs.stat(file);
        // Checked before reading, so a runaway file is never pulled into memory.
        if (this.readStat.size > MAX_POLICY_BYTES) throw new PolicyError(file, 'the policy file is larger than 1 MB');
        text = await fs.readFile(file, 'utf8');
      } catch (error) {
        if (error instanceof PolicyError) throw error;
        const why = (error as NodeJS.ErrnoException).code ?? String(error);
        throw new PolicyError(file, `the policy file cannot be read (${why})`);
      }
      const policy = parsePolicy(text, file);
      this.policy = policy;
      this.error = undefined;
      this.log.info('policy loaded', {
        file,
        rules: policy.rules.length,
        people: new Set(ROLES.flatMap((r) => policy.roles[r])).size,
      });
      return { ok: true };
    } catch (caught) {
      const error = caught instanceof PolicyError ? caught : new PolicyError(file, String(caught));
      this.error = error;
      this.log.warn(this.policy ? 'policy not reloaded; the previous policy stays in force' : 'policy not loaded', {
        file,
        error: error.message,
        line: error.line,
        column: error.column,
      });
      return { ok: false, error };
    }
  }
}

const differs = (a: Stats, b: Stats): boolean => a.mtimeMs !== b.mtimeMs || a.size !== b.size || a.ino !== b.ino;
