/** The JSON-lines logger: levels, bindings, errors as fields, and secrets scrubbed before writing. */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger';

function capture(level: Parameters<typeof createLogger>[0] = 'debug') {
  const lines: Record<string, any>[] = [];
  const log = createLogger(level, { component: 'test' }, (line) => lines.push(JSON.parse(line)));
  return { log, lines };
}

describe('createLogger', () => {
  it('should write one JSON record per line with the level, message, bindings and fields', () => {
    const { log, lines } = capture();
    log.info('runtime started', { runtime: 'chat-dev' });
    expect(lines).toEqual([
      { time: expect.any(String), level: 'info', msg: 'runtime started', component: 'test', runtime: 'chat-dev' },
    ]);
  });

  it('should drop records below its level, and write nothing when silent', () => {
    const { log, lines } = capture('warn');
    log.debug('a');
    log.info('b');
    log.warn('c');
    log.error('d');
    expect(lines.map((l) => l.msg)).toEqual(['c', 'd']);
    const silent = capture('silent');
    silent.log.error('never');
    expect(silent.lines).toEqual([]);
  });

  it('should add a child’s bindings to every record, keeping the parent’s', () => {
    const { log, lines } = capture();
    log.child({ correlationId: 'c-1' }).warn('slow');
    expect(lines[0]).toMatchObject({ component: 'test', correlationId: 'c-1', msg: 'slow' });
  });

  it('should write an error’s name and message', () => {
    const { log, lines } = capture();
    log.error('failed', { error: new RangeError('out of range') });
    expect(lines[0].error).toMatchObject({ name: 'RangeError', message: 'out of range' });
  });

  it('should scrub a feed token and a bearer token before writing', () => {
    const { log, lines } = capture();
    log.info('install', {
      requirements: '--extra-index-url https://build:s3cr3t@pkgs.example.com/simple',
      header: 'Authorization: Bearer eyJhbGciOi.secret.part',
    });
    const written = JSON.stringify(lines[0]);
    expect(written).toContain('pkgs.example.com');
    expect(written).not.toContain('s3cr3t');
    expect(written).not.toContain('eyJhbGciOi.secret.part');
  });
});
