/**
 * Hostile REST requests to the runtime service: every route and method, hostile names (encoded
 * slashes, dots, controls), bodies that are not JSON, of the wrong shape or type, huge or deep,
 * and hostile headers (acting user, idempotency key, If-Match, content type).
 *
 * Feed tokens go only where the service's contract says it keeps them secret: the requirement
 * lines. Other fields get hostile text from `loose`, whose tokens nobody looks for: the REST API
 * trusts its client (the bot) with what it stores in, say, a description.
 */
import { DEMO_RUNTIMES, type Hostile } from './hostile';
import type { Random } from './random';
import { CREATE_FIELDS } from '../../../src/core/forms';

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const ACTORS = ['00000000-0000-0000-0000-0000000000020', '00000000-0000-0000-0000-0000000000021'];
const NAMES = ['a%2Fb', '%2F', '..', '.', '%2E%2E', '%00', 'x'.repeat(300), '%E2%80%AE', 'CON', 'ci-alex', 'new-rt'];

export class RequestFuzzer {
  constructor(
    private readonly r: Random,
    /** Plants the tokens that are looked for: in requirement lines only. */
    private readonly secret: Hostile,
    /** Hostile values for every other field. */
    private readonly loose: Hostile,
  ) {}

  next(): FuzzRequest {
    const r = this.r;
    const name = r.chance(0.5)
      ? r.pick(DEMO_RUNTIMES)
      : r.chance(0.5)
        ? r.pick(NAMES)
        : encodeURIComponent(this.loose.string());
    const route: { method: string; path: string; body?: string } = r.pick([
      () => ({ method: 'GET', path: `/v1/runtimes${this.query()}` }),
      () => ({ method: 'GET', path: `/v1/runtimes/${name}` }),
      () => ({ method: 'GET', path: `/v1/runtimes/${name}/version` }),
      () => ({ method: 'PUT', path: `/v1/runtimes/${name}`, body: this.createBody() }),
      () => ({ method: 'PATCH', path: `/v1/runtimes/${name}`, body: this.updateBody() }),
      () => ({
        method: 'POST',
        path: `/v1/runtimes/${name}/${r.pick(['install', 'reset', 'stop', 'upgrade', 'reboot', '%2E%2E', ''])}${r.chance(0.2) ? '?validateOnly=true' : ''}`,
        body: this.installBody(),
      }),
      () => ({ method: 'GET', path: `/v1/operations/${encodeURIComponent(this.loose.string())}` }),
      () => ({
        method: r.pick(['GET', 'POST']),
        path: `/v1/compute-instances/${name}/${r.pick(['start', 'stop', 'applications', 'x'])}`,
      }),
      () => ({ method: 'GET', path: `/v1/compute-instances${r.chance(0.5) ? '?usableBy=me' : this.query()}` }),
      () => ({
        method: 'GET',
        path: r.pick(['/v1/vm-sizes', '/v1/environments', '/v1/identities', '/v1/summary', '/v1/versions']),
      }),
      () => ({
        method: 'POST',
        path: '/v1/versions',
        body: this.json({ tag: this.loose.value(), notes: this.loose.value() }),
      }),
      // Always a page after a cursor: a bare GET /v1/events is a stream that does not end.
      () => ({ method: 'GET', path: `/v1/events?after=${encodeURIComponent(this.loose.string())}` }),
      () => ({ method: r.pick(['DELETE', 'OPTIONS', 'HEAD', 'POST']), path: `/v1/runtimes/${name}` }),
      () => ({
        method: 'GET',
        path: r.pick(['/healthz', '/readyz', '/v1/openapi.json', '/v1/nope', '/v1/runtimes/a/b/c/d']),
      }),
    ])();
    return { ...route, headers: this.headers(route.body !== undefined) };
  }

  private query(): string {
    const r = this.r;
    const params = ['status', 'type', 'pageSize', 'pageToken', 'usableBy', '__proto__'];
    const parts = Array.from(
      { length: r.int(0, 3) },
      () => `${r.pick(params)}=${encodeURIComponent(this.loose.string())}`,
    );
    return parts.length ? `?${parts.join('&')}` : '';
  }

  private headers(withBody: boolean): Record<string, string> {
    const r = this.r;
    const headers: Record<string, string> = {};
    if (r.chance(0.85)) headers['X-Acting-User-Id'] = r.chance(0.8) ? r.pick(ACTORS) : headerSafe(this.loose.string());
    if (r.chance(0.3))
      headers['X-Acting-User-Name'] = r.chance(0.5) ? '%E0%A4%A' : encodeURIComponent(this.loose.string());
    if (r.chance(0.2)) headers['Idempotency-Key'] = headerSafe(this.loose.string()) || 'k';
    if (r.chance(0.1)) headers['If-Match'] = r.pick(['"1"', '*', 'W/"x"', headerSafe(this.loose.string()) || '""']);
    if (withBody)
      headers['Content-Type'] = r.chance(0.9) ? 'application/json' : r.pick(['text/plain', 'application/xml', '']);
    return headers;
  }

  private createBody(): string {
    const r = this.r;
    const body: Record<string, unknown> = {
      type: r.chance(0.8) ? r.pick(['automatic', 'computeInstance', 'managedOnlineDeployment']) : this.loose.value(),
    };
    // Every field the create form submits but the name (it is in the path), and one it does not.
    for (const field of [...CREATE_FIELDS.filter((f) => f !== 'name'), 'baseImage'])
      if (r.chance(0.3)) body[field] = field === 'vmSize' && r.chance(0.5) ? 'Standard_E4ds_v4' : this.loose.value();
    if (r.chance(0.4)) body.requirements = this.secret.requirements();
    return this.json(body);
  }

  private updateBody(): string {
    const body: Record<string, unknown> = {};
    for (const field of ['vmSize', 'idleTimeMinutes', 'description', 'environment', 'instanceCount', 'requirements'])
      if (this.r.chance(0.4)) body[field] = this.loose.value();
    return this.json(body);
  }

  private installBody(): string {
    const r = this.r;
    return this.json({
      requirements: r.chance(0.8) ? this.secret.requirements() : this.loose.value(),
      ...(r.chance(0.3) ? { saveOnly: r.chance(0.5) ? true : this.loose.value() } : {}),
    });
  }

  /** The body as JSON, or sometimes as something that is not. */
  private json(body: unknown): string {
    const r = this.r;
    const roll = r.next();
    if (roll < 0.85) return JSON.stringify(body);
    if (roll < 0.9) return JSON.stringify(body).slice(0, -1);
    if (roll < 0.95) return r.pick(['', 'null', '[]', '"x"', '42', '{"__proto__":{"polluted":1}}', '{"a":1,"a":2}']);
    return `{"requirements":${'['.repeat(5000)}${']'.repeat(5000)}}`;
  }
}

/** Header values must be visible ASCII for fetch to send them at all. */
function headerSafe(text: string): string {
  return text.replace(/[^\x21-\x7e]/g, '').slice(0, 300);
}
