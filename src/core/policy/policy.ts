/**
 * The approval policy: who holds which role and which operations need approval, read from YAML
 * (see policy.example.yaml). Every mistake is reported with the line and column of the node at
 * fault, because the person fixing it is looking at the file, not at our data model.
 */
import path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from 'yaml';
import { OPERATION_KINDS, type OperationKind } from '../../domain/runtime';

export const ROLES = ['owner', 'dataScientist', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface ApprovalRule {
  operations: readonly OperationKind[];
  runtimes: readonly string[];
  approvals: number;
  approverRole: Role;
  expiresAfterMs: number;
  line: number;
}

export interface Policy {
  roles: Record<Role, readonly string[]>;
  names: Record<string, string>;
  defaultRole?: Role;
  rules: readonly ApprovalRule[];
  source: string;
}

export const MAX_POLICY_BYTES = 1024 * 1024;
export const MAX_APPROVALS = 10;
const SECOND = 1000;
const UNIT_MS: Record<string, number> = { s: SECOND, m: 60 * SECOND, h: 3600 * SECOND, d: 86400 * SECOND };
export const DEFAULT_EXPIRY_MS = 24 * UNIT_MS.h;
export const MAX_EXPIRY_MS = 30 * UNIT_MS.d;
/** Entra object ids are GUIDs; we accept any short id of that alphabet (the Playground's are longer). */
export const OBJECT_ID = /^[A-Za-z0-9-]{1,64}$/;
const PATTERN = /^[A-Za-z0-9_*?-]{1,64}$/;
/** More aliases than any honest policy needs; stops "billion laughs" files early. */
const MAX_ALIASES = 100;

export class PolicyError extends Error {
  readonly line?: number;
  readonly column?: number;
  /** The problem without the file and position, for cards that show those separately. */
  readonly reason: string;

  constructor(source: string, reason: string, at?: { line: number; col: number }) {
    const file = source === '<inline>' ? 'the policy' : path.basename(source);
    super(at ? `${file} line ${at.line}, column ${at.col}: ${reason}` : `${file}: ${reason}`);
    this.name = 'PolicyError';
    this.reason = reason;
    this.line = at?.line;
    this.column = at?.col;
  }
}

/** Object ids compare case-insensitively (GUIDs); we keep them lower-case. */
export const normaliseObjectId = (id: string): string => id.trim().toLowerCase();

/** '30m', '24h', '7d', '90s' → milliseconds; undefined when the text is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,7})\s*([smhd])$/.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2]] : undefined;
}

/** The largest whole unit that fits: 14400000 → '4h', 5400000 → '90m'. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm'] as const) if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  return `${Math.round(ms / SECOND)}s`;
}

/** Shell-style glob with '*' and '?', anchored and case-insensitive; no regex, so no catastrophic backtracking. */
export function globMatches(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (j < n.length) {
    if (i < p.length && (p[i] === '?' || p[i] === n[j])) {
      i++;
      j++;
    } else if (i < p.length && p[i] === '*') {
      star = i++;
      mark = j;
    } else if (star >= 0) {
      i = star + 1;
      j = ++mark;
    } else return false;
  }
  while (p[i] === '*') i++;
  return i === p.length;
}

/** The first rule for this operation and runtime; none means the operation runs at once. */
export function ruleFor(policy: Policy, kind: OperationKind, runtimeName: string): ApprovalRule {
  const found = policy.rules.find(
    (r) => r.operations.includes(kind) && r.runtimes.some((p) => globMatches(p, runtimeName)),
  );
  const none = { approvals: 0, approverRole: 'owner' as const, expiresAfterMs: DEFAULT_EXPIRY_MS, line: 0 };
  return found ?? { operations: [kind], runtimes: ['*'], ...none };
}

export function parsePolicy(text: string, source = '<inline>'): Policy {
  if (text.length > MAX_POLICY_BYTES || Buffer.byteLength(text) > MAX_POLICY_BYTES)
    throw new PolicyError(source, 'the policy file is larger than 1 MB');
  return new Reader(text, source).policy();
}

/** A mapping's entries by key; a null value (`key:` with nothing after it) counts as absent. */
type Entries = Map<string, { key: Node; value?: Node }>;
const TOP_KEYS = ['roles', 'defaultRole', 'rules'];
const RULE_KEYS = ['operations', 'runtimes', 'approvals', 'approverRole', 'expiresAfter'];

/** One parse: the YAML document, its line counter and the anchors that aliases may point at. */
class Reader {
  private readonly lines = new LineCounter();
  private readonly doc: ReturnType<typeof parseDocument>;
  private readonly anchors: { name: string; offset: number; node: Node }[] = [];
  private readonly aliases = new Set<Node>();

  constructor(
    text: string,
    private readonly source: string,
  ) {
    try {
      this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    } catch (error) {
      // The parser reports stack exhaustion itself; this is the net under anything else.
      throw new PolicyError(source, `the file is not valid YAML (${(error as Error).message})`);
    }
    const first = this.doc.errors[0];
    if (first) throw new PolicyError(source, yamlReason(first, text), this.at(first.pos[0]));
    visit(this.doc, {
      Node: (_key, node) => {
        if (!isAlias(node) && node.anchor) this.anchors.push({ name: node.anchor, offset: start(node), node });
      },
    });
  }

  policy(): Policy {
    const root = this.doc.contents as Node | null;
    if (root === null || (isScalar(root) && root.value === null) || (isMap(root) && root.items.length === 0))
      throw new PolicyError(this.source, 'the policy is empty; it needs at least a roles section');
    const top = this.entries(root, 'the policy must be a mapping with roles, defaultRole and rules', TOP_KEYS);
    const roles = top.get('roles');
    if (!roles) this.fail(root, 'the policy has no roles section; list who is owner, dataScientist or viewer');
    const policy: Policy = { ...this.roles(roles.value ?? roles.key), rules: [], source: this.source };
    const defaultRole = top.get('defaultRole')?.value;
    if (defaultRole) policy.defaultRole = this.oneOf(defaultRole, ROLES, 'role');
    const rules = top.get('rules')?.value;
    if (rules) policy.rules = this.list(rules, 'rules must be a list').map((r) => this.rule(r));
    return policy;
  }

  private roles(node: Node): Pick<Policy, 'roles' | 'names'> {
    const roles: Record<Role, string[]> = { owner: [], dataScientist: [], viewer: [] };
    const names: Record<string, string> = Object.create(null);
    for (const [, { key, value }] of this.entries(node, 'roles must map each role to a list of people')) {
      const role = this.oneOf(key, ROLES, 'role');
      for (const item of value ? this.list(value, `${role} must be a list of people`) : []) {
        let idNode = item;
        let name: string | undefined;
        if (isMap(this.resolve(item))) {
          const person = this.entries(item, '', ['id', 'name']);
          idNode = person.get('id')?.value ?? this.fail(item, 'this person has no id');
          const nameNode = person.get('name')?.value;
          name = nameNode && this.string(nameNode, 'name must be text').trim().slice(0, 200);
        }
        const id = this.objectId(idNode);
        if (roles[role].includes(id)) this.fail(item, `${id} is listed twice under ${role}`);
        roles[role].push(id);
        if (name && !(id in names)) names[id] = name;
      }
    }
    return { roles, names };
  }

  private rule(node: Node): ApprovalRule {
    const message = 'each rule must be a mapping with operations, runtimes and approvals';
    const rule = this.entries(node, message, RULE_KEYS);
    const need = (field: string): Node =>
      rule.get(field)?.value ?? this.fail(rule.get(field)?.key ?? node, `this rule has no ${field}`);
    const operations = this.oneOrMany(need('operations'), 'operations').flatMap((n) =>
      this.string(n, 'an operation must be text') === '*'
        ? [...OPERATION_KINDS]
        : [this.oneOf(n, [...OPERATION_KINDS, '*'] as const, 'operation') as OperationKind],
    );
    const runtimes = this.oneOrMany(need('runtimes'), 'runtimes').map((n) => {
      const pattern = this.string(n, 'a runtime pattern must be text');
      if (!PATTERN.test(pattern))
        this.fail(n, `"${pattern}" is not a runtime pattern; use letters, digits, - and _, with * and ? as wildcards`);
      return pattern;
    });
    const approvalsNode = need('approvals');
    const scalar = this.resolve(approvalsNode);
    const approvals = isScalar(scalar) && Number.isInteger(scalar.value) ? (scalar.value as number) : -1;
    if (approvals < 0 || approvals > MAX_APPROVALS)
      this.fail(approvalsNode, `approvals must be a whole number from 0 to ${MAX_APPROVALS}`);
    const approverRole = rule.get('approverRole')?.value;
    const expiresAfter = rule.get('expiresAfter')?.value;
    return {
      operations: [...new Set(operations)],
      runtimes,
      approvals,
      approverRole: approverRole ? this.oneOf(approverRole, ROLES, 'role') : 'owner',
      expiresAfterMs: expiresAfter ? this.duration(expiresAfter) : DEFAULT_EXPIRY_MS,
      line: this.at(start(node)).line,
    };
  }

  private duration(node: Node): number {
    const raw = this.resolve(node);
    const ms = isScalar(raw) && typeof raw.value === 'string' ? parseDuration(raw.value) : undefined;
    if (ms === undefined) this.fail(node, 'expiresAfter must be a duration such as 90s, 30m, 24h or 7d');
    if (ms === 0) this.fail(node, 'expiresAfter must be longer than 0');
    if (ms > MAX_EXPIRY_MS) this.fail(node, 'expiresAfter can be at most 30d');
    return ms;
  }

  private oneOf<T extends string>(node: Node, allowed: readonly T[], what: string): T {
    const text = this.string(node, `a${what === 'operation' ? 'n' : ''} ${what} must be text`);
    if ((allowed as readonly string[]).includes(text)) return text as T;
    const known = allowed.filter((a) => a !== '*').join(', ') + (allowed.includes('*' as T) ? " or '*'" : '');
    return this.fail(node, `unknown ${what} "${text}"; ${what}s are ${known}`);
  }

  /** Ids keep their source text, so a numeric id such as 0012 keeps its zeros. */
  private objectId(node: Node): string {
    const scalar = this.resolve(node);
    if (!isScalar(scalar) || scalar.value === null || typeof scalar.value === 'object')
      this.fail(node, 'an id must be text');
    const id = typeof scalar.value === 'string' ? scalar.value : (scalar.source ?? String(scalar.value));
    if (!OBJECT_ID.test(id))
      this.fail(node, `"${id.slice(0, 80)}" is not an Entra object id (1 to 64 letters, digits or -)`);
    return normaliseObjectId(id);
  }

  private string(node: Node, message: string): string {
    const scalar = this.resolve(node);
    if (!isScalar(scalar) || typeof scalar.value !== 'string') this.fail(node, message);
    return scalar.value as string;
  }

  /** A single scalar (including '*') or a non-empty list of them. */
  private oneOrMany(node: Node, field: string): Node[] {
    if (isScalar(this.resolve(node))) return [node];
    const items = this.list(node, `${field} must be '*', one name or a list`);
    return items.length > 0 ? items : this.fail(node, `${field} must not be empty`);
  }

  private list(node: Node, message: string): Node[] {
    const seq = this.resolve(node);
    return isSeq(seq) ? (seq.items as Node[]) : this.fail(node, message);
  }

  /** Plain-named keys of a mapping, refusing any outside `allowed`. */
  private entries(node: Node, message: string, allowed?: string[]): Entries {
    const map = this.resolve(node);
    if (!isMap(map)) this.fail(node, message);
    const out: Entries = new Map();
    for (const pair of map.items) {
      const key = pair.key as Node;
      const name = this.string(key, 'keys must be plain names');
      if (allowed && !allowed.includes(name)) this.fail(key, `unknown key "${name}"; expected ${allowed.join(', ')}`);
      const value = (pair.value as Node | null) ?? undefined;
      const resolved = value && this.resolve(value);
      out.set(name, { key, value: isScalar(resolved) && resolved.value === null ? undefined : value });
    }
    return out;
  }

  /** Follows an alias to the last anchor of that name before it, counting aliases as we go. */
  private resolve(node: Node): Node {
    if (!isAlias(node)) return node;
    this.aliases.add(node);
    if (this.aliases.size > MAX_ALIASES) this.fail(node, `the file uses more than ${MAX_ALIASES} aliases`);
    const target = this.anchors.filter((a) => a.name === node.source && a.offset < start(node)).pop();
    return target?.node ?? this.fail(node, `unknown alias *${node.source}`);
  }

  private at(offset: number): { line: number; col: number } {
    return this.lines.linePos(offset);
  }

  private fail(node: Node, reason: string): never {
    throw new PolicyError(this.source, reason, this.at(start(node)));
  }
}

const start = (node: Node): number => node.range?.[0] ?? 0;

function yamlReason(error: { code: string; message: string; pos: [number, number] }, text: string): string {
  if (error.code === 'RESOURCE_EXHAUSTION') return 'the YAML is nested too deeply';
  if (error.code !== 'DUPLICATE_KEY') return `the file is not valid YAML: ${error.message.split('\n')[0]}`;
  const key = /^[^\s:#]+/.exec(text.slice(error.pos[0]))?.[0];
  return key ? `the key "${key}" appears twice` : 'a key appears twice';
}
