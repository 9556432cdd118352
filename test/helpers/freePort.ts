/**
 * A port for a child process to listen on. Port 0 would be better, but a child's port must be known
 * before it starts. The port comes from below the kernel's ephemeral range, which outgoing
 * connections draw from: with many tests and children running at once, a port that the OS handed
 * out free a moment ago is often taken by someone's outgoing connection by the time the child binds
 * it. Ports are drawn at random and checked by binding, so concurrent test files rarely collide.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** The first port of the ephemeral range (Linux's default is 32768). */
function ephemeralStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 12_000 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

const HIGHEST = ephemeralStart() - 1;
const LOWEST = HIGHEST - 10_000;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const port = LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port between ${LOWEST} and ${HIGHEST}`);
}
