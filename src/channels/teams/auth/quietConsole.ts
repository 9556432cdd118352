/**
 * botbuilder reports a failed token check on stderr itself — `console.error` with the error's stack,
 * and the signing key — before it throws, bypassing our logger. Inside `quietly`, console output is
 * dropped: the caller logs the outcome once, through the project logger. The scope follows the async
 * call (AsyncLocalStorage), so console output of concurrent work elsewhere is untouched.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<boolean>();
let installed = false;

export function quietly<T>(work: () => Promise<T>): Promise<T> {
  if (!installed) {
    installed = true;
    for (const method of ['error', 'warn', 'info', 'log', 'debug', 'trace'] as const) {
      const write = console[method];
      console[method] = (...args: unknown[]) => {
        if (!scope.getStore()) write.apply(console, args);
      };
    }
  }
  return scope.run(true, work);
}
