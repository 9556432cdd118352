/**
 * Enough of Bicep to check infra/*.bicep without the Bicep CLI (it cannot be installed here): a
 * parser for the statements (param, var, resource, module, output) and the expressions the project's
 * templates use (literals, interpolated strings, objects, arrays, references, member access, function
 * calls), and an evaluator that stands in for Azure Resource Manager where values come from Azure:
 * each resource property Azure assigns gets a deterministic sample derived from the resource's name
 * (so two identities never share a client id, and a web app's host name follows its name).
 * Anything else (operators, ternaries, unknown functions) evaluates to an `unsupported` marker that
 * the checks report, rather than a guess.
 */
import { createHash } from 'node:crypto';

export type Node =
  | { k: 'obj'; entries: [string, Node][] }
  | { k: 'arr'; items: Node[] }
  | { k: 'str'; parts: (string | Node)[] }
  | { k: 'num'; value: number }
  | { k: 'bool'; value: boolean }
  | { k: 'ref'; name: string }
  | { k: 'member'; of: Node; prop: string }
  | { k: 'call'; fn: string; args: Node[] }
  | { k: 'unsupported'; text: string };

export interface Param {
  type: string;
  default?: Node;
  decorators: Node[];
}
export interface Resource {
  type: string;
  existing: boolean;
  body: Node;
}
export interface Module {
  path: string;
  body: Node;
}
export interface BicepFile {
  params: Map<string, Param>;
  vars: Map<string, Node>;
  resources: Map<string, Resource>;
  modules: Map<string, Module>;
  outputs: Map<string, Node>;
}

class Parser {
  private i = 0;
  constructor(private readonly src: string) {}

  file(): BicepFile {
    const file: BicepFile = {
      params: new Map(),
      vars: new Map(),
      resources: new Map(),
      modules: new Map(),
      outputs: new Map(),
    };
    let decorators: Node[] = [];
    for (this.space(true); this.i < this.src.length; this.space(true)) {
      if (this.peek() === '@') {
        this.i++;
        decorators.push(this.expr());
        continue;
      }
      const keyword = this.word();
      const name = this.word();
      if (keyword === 'param') {
        const type = this.word();
        const param: Param = { type, decorators };
        this.space(false);
        if (this.peek() === '=') {
          this.i++;
          param.default = this.expr();
        }
        file.params.set(name, param);
      } else if (keyword === 'var') {
        this.expect('=');
        file.vars.set(name, this.expr());
      } else if (keyword === 'resource') {
        const type = this.stringLiteral();
        this.space(false);
        const existing = this.src.startsWith('existing', this.i);
        if (existing) this.i += 'existing'.length;
        this.expect('=');
        file.resources.set(name, { type, existing, body: this.expr() });
      } else if (keyword === 'module') {
        const path = this.stringLiteral();
        this.expect('=');
        file.modules.set(name, { path, body: this.expr() });
      } else if (keyword === 'output') {
        this.word(); // its type
        this.expect('=');
        file.outputs.set(name, this.expr());
      } else {
        throw this.error(`unknown statement "${keyword}"`);
      }
      decorators = [];
    }
    return file;
  }

  private error(message: string): Error {
    const line = this.src.slice(0, this.i).split('\n').length;
    return new Error(`Bicep, line ${line}: ${message}`);
  }

  private peek(): string {
    return this.src[this.i] ?? '';
  }

  /** Skips blanks and // comments; newlines too when `lines`. */
  private space(lines: boolean): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r' || (lines && c === '\n')) this.i++;
      else if (this.src.startsWith('//', this.i)) while (this.i < this.src.length && this.peek() !== '\n') this.i++;
      else return;
    }
  }

  private word(): string {
    this.space(false);
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.i));
    if (!match) throw this.error(`expected a name at "${this.src.slice(this.i, this.i + 20)}"`);
    this.i += match[0].length;
    return match[0];
  }

  private expect(token: string): void {
    this.space(false);
    if (!this.src.startsWith(token, this.i)) throw this.error(`expected "${token}"`);
    this.i += token.length;
  }

  private stringLiteral(): string {
    this.space(false);
    const node = this.string();
    if (node.parts.some((p) => typeof p !== 'string')) throw this.error('expected a plain string');
    return node.parts.join('');
  }

  private string(): { k: 'str'; parts: (string | Node)[] } {
    if (this.peek() !== "'") throw this.error('expected a string');
    this.i++;
    const parts: (string | Node)[] = [];
    let text = '';
    for (;;) {
      const c = this.peek();
      if (c === '') throw this.error('unterminated string');
      if (c === '\\') {
        text += this.src[this.i + 1];
        this.i += 2;
      } else if (c === "'") {
        this.i++;
        break;
      } else if (this.src.startsWith('${', this.i)) {
        if (text) parts.push(text);
        text = '';
        this.i += 2;
        parts.push(this.expr());
        this.expect('}');
      } else {
        text += c;
        this.i++;
      }
    }
    if (text) parts.push(text);
    return { k: 'str', parts };
  }

  expr(): Node {
    this.space(false);
    const start = this.i;
    let node = this.primary();
    for (;;) {
      if (this.peek() === '.') {
        this.i++;
        node = { k: 'member', of: node, prop: this.word() };
      } else if (this.peek() === '[') {
        this.i++;
        const index = this.expr();
        this.expect(']');
        node = { k: 'member', of: node, prop: index.k === 'str' ? String(index.parts.join('')) : '?' };
      } else break;
    }
    this.space(false);
    // Operators and ternaries: kept as text, reported by whoever needs the value.
    if (/^(\?|==|!=|&&|\|\||[<>+\-*/%!])/.test(this.src.slice(this.i))) {
      this.skipToEndOfExpression();
      return { k: 'unsupported', text: this.src.slice(start, this.i).trim() };
    }
    return node;
  }

  private skipToEndOfExpression(): void {
    let depth = 0;
    while (this.i < this.src.length) {
      const c = this.peek();
      if (c === "'") {
        this.string();
        continue;
      }
      if ('([{'.includes(c)) depth++;
      else if (')]}'.includes(c)) {
        if (depth === 0) return;
        depth--;
      } else if ((c === '\n' || c === ',') && depth === 0) return;
      this.i++;
    }
  }

  private primary(): Node {
    const c = this.peek();
    if (c === "'") return this.string();
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '(') {
      this.i++;
      const inner = this.expr();
      this.expect(')');
      return inner;
    }
    const number = /^-?\d+/.exec(this.src.slice(this.i));
    if (number) {
      this.i += number[0].length;
      return { k: 'num', value: Number(number[0]) };
    }
    const name = this.word();
    if (name === 'true' || name === 'false') return { k: 'bool', value: name === 'true' };
    if (this.peek() !== '(') return { k: 'ref', name };
    this.i++;
    const args: Node[] = [];
    for (this.space(true); this.peek() !== ')'; this.space(true)) {
      args.push(this.expr());
      this.space(true);
      if (this.peek() === ',') this.i++;
    }
    this.i++;
    return { k: 'call', fn: name, args };
  }

  private object(): Node {
    this.i++;
    const entries: [string, Node][] = [];
    for (this.space(true); this.peek() !== '}'; this.space(true)) {
      if (this.peek() === ',') {
        this.i++;
        continue;
      }
      const key = this.peek() === "'" ? this.objectKey() : this.word();
      this.expect(':');
      entries.push([key, this.expr()]);
    }
    this.i++;
    return { k: 'obj', entries };
  }

  /** A quoted key, possibly interpolated ('${identity.id}'): kept as its source text. */
  private objectKey(): string {
    const start = this.i;
    const node = this.string();
    return node.parts.every((p) => typeof p === 'string') ? node.parts.join('') : this.src.slice(start, this.i);
  }

  private array(): Node {
    this.i++;
    const items: Node[] = [];
    for (this.space(true); this.peek() !== ']'; this.space(true)) {
      if (this.peek() === ',') {
        this.i++;
        continue;
      }
      items.push(this.expr());
    }
    this.i++;
    return { k: 'arr', items };
  }
}

export function parseBicep(source: string): BicepFile {
  return new Parser(source).file();
}

/** An object entry of a node, by a dotted path (properties.siteConfig.appCommandLine). */
export function entry(node: Node | undefined, path: string): Node | undefined {
  let at = node;
  for (const key of path.split('.')) {
    if (at?.k !== 'obj') return undefined;
    at = at.entries.find(([k]) => k === key)?.[1];
  }
  return at;
}

// ---- Evaluation ------------------------------------------------------------------------------------

export type Value = string | number | boolean | Value[] | { [key: string]: Value };
/** What ARM would have at deployment time for the things Azure decides. */
export interface Deployment {
  subscriptionId: string;
  tenantId: string;
  resourceGroup: string;
  location: string;
}

export const UNSUPPORTED = '<unsupported>';

/** A deterministic sample GUID for what Azure assigns: the same seed gives the same id. */
export function sampleGuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class Evaluator {
  private readonly resolving = new Set<string>();

  constructor(
    readonly file: BicepFile,
    readonly params: Record<string, Value>,
    readonly deployment: Deployment,
  ) {}

  value(node: Node): Value {
    switch (node.k) {
      case 'str':
        return node.parts.map((p) => (typeof p === 'string' ? p : String(this.value(p)))).join('');
      case 'num':
      case 'bool':
        return node.value;
      case 'obj':
        return Object.fromEntries(node.entries.map(([k, v]) => [k, this.value(v)]));
      case 'arr':
        return node.items.map((item) => this.value(item));
      case 'ref':
        return this.ref(node.name);
      case 'member':
        return this.member(node);
      case 'call':
        return this.call(node.fn, node.args);
      case 'unsupported':
        return `${UNSUPPORTED}(${node.text})`;
    }
  }

  private ref(name: string): Value {
    if (name in this.params) return this.params[name];
    const param = this.file.params.get(name);
    if (param?.default) return this.value(param.default);
    if (param) return `${UNSUPPORTED}(param ${name} has no value)`;
    const v = this.file.vars.get(name);
    if (v) return this.guard(`var ${name}`, () => this.value(v));
    if (this.file.resources.has(name)) return this.resourceProperty(name, ['id']);
    return `${UNSUPPORTED}(unknown name ${name})`;
  }

  private guard(key: string, fn: () => Value): Value {
    if (this.resolving.has(key)) return `${UNSUPPORTED}(cycle at ${key})`;
    this.resolving.add(key);
    try {
      return fn();
    } finally {
      this.resolving.delete(key);
    }
  }

  private member(node: Extract<Node, { k: 'member' }>): Value {
    const path: string[] = [];
    let at: Node = node;
    while (at.k === 'member') {
      path.unshift(at.prop);
      at = at.of;
    }
    if (at.k === 'ref' && this.file.resources.has(at.name)) return this.resourceProperty(at.name, path);
    let value = this.value(at);
    for (const prop of path) {
      value =
        typeof value === 'object' && !Array.isArray(value) && prop in value
          ? value[prop]
          : `${UNSUPPORTED}(no ${prop})`;
    }
    return value;
  }

  /** The resource's name as its template gives it (a child's own segment). */
  resourceName(symbol: string): string {
    const body = this.file.resources.get(symbol)!.body;
    const name = entry(body, 'name');
    return name ? String(this.value(name)) : `${UNSUPPORTED}(no name)`;
  }

  resourceId(symbol: string): string {
    const resource = this.file.resources.get(symbol)!;
    const [type] = resource.type.split('@');
    const names: string[] = [];
    for (let s: string | undefined = symbol; s;) {
      names.unshift(this.resourceName(s));
      const parent = entry(this.file.resources.get(s)!.body, 'parent');
      s = parent?.k === 'ref' ? parent.name : undefined;
    }
    const [provider, ...types] = type.split('/');
    const segments = types.map((t, i) => `${t}/${names[i]}`).join('/');
    const { subscriptionId, resourceGroup } = this.deployment;
    return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${provider}/${segments}`;
  }

  private resourceProperty(symbol: string, path: string[]): Value {
    return this.guard(`resource ${symbol}.${path.join('.')}`, () => {
      const resource = this.file.resources.get(symbol)!;
      const type = resource.type.split('@')[0].toLowerCase();
      const key = path.join('.');
      if (key === 'name') return this.resourceName(symbol);
      if (key === 'id') return this.resourceId(symbol);
      const name = this.resourceName(symbol);
      const assigned: Record<string, Record<string, () => Value>> = {
        'microsoft.managedidentity/userassignedidentities': {
          'properties.clientId': () => sampleGuid(`client:${name}`),
          'properties.principalId': () => sampleGuid(`principal:${name}`),
          'properties.tenantId': () => this.deployment.tenantId,
        },
        'microsoft.storage/storageaccounts': {
          'properties.primaryEndpoints.blob': () => `https://${name}.blob.core.windows.net/`,
        },
        'microsoft.web/sites': { 'properties.defaultHostName': () => `${name}.azurewebsites.net` },
        'microsoft.keyvault/vaults/secrets': {
          'properties.secretUri': () => {
            const parent = entry(resource.body, 'parent');
            const vault = parent?.k === 'ref' ? this.resourceName(parent.name) : UNSUPPORTED;
            return `https://${vault}.vault.azure.net/secrets/${name}`;
          },
        },
      };
      const fromAzure = assigned[type]?.[key];
      if (fromAzure) return fromAzure();
      const declared = entry(resource.body, key);
      return declared ? this.value(declared) : `${UNSUPPORTED}(${symbol}.${key})`;
    });
  }

  private call(fn: string, argNodes: Node[]): Value {
    const args = argNodes.map((a) => this.value(a));
    const s = (i: number) => String(args[i]);
    const hash = (n: number) =>
      createHash('sha256')
        .update(args.map(String).join('|'))
        .digest('hex')
        .replace(/[^a-z0-9]/g, '')
        .slice(0, n);
    const { subscriptionId, tenantId, resourceGroup, location } = this.deployment;
    switch (fn) {
      case 'union':
        return Object.assign({}, ...args.map((a) => (typeof a === 'object' && !Array.isArray(a) ? a : {})));
      case 'toLower':
        return s(0).toLowerCase();
      case 'take':
        return s(0).slice(0, Number(args[1]));
      case 'replace':
        return s(0).split(s(1)).join(s(2));
      case 'empty':
        return args[0] === '' || (Array.isArray(args[0]) && args[0].length === 0);
      case 'uniqueString':
        return hash(13);
      case 'guid':
        return sampleGuid(args.map(String).join('|'));
      case 'tenant':
        return { tenantId };
      case 'subscription':
        return { subscriptionId };
      case 'resourceGroup':
        return args.length === 2
          ? { subscriptionId: s(0), name: s(1) }
          : {
              subscriptionId,
              name: resourceGroup,
              location,
              id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`,
            };
      case 'subscriptionResourceId':
        return `/subscriptions/${subscriptionId}/providers/${s(0)}/${s(1)}`;
      default:
        return `${UNSUPPORTED}(${fn}())`;
    }
  }
}

/** Every `<unsupported>` marker inside a value, for the checks to report. */
export function unsupportedIn(value: Value): string[] {
  if (typeof value === 'string') return value.includes(UNSUPPORTED) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(unsupportedIn);
  if (typeof value === 'object') return Object.values(value).flatMap(unsupportedIn);
  return [];
}
