/**
 * The end of a switch that handles every member of a union: with a member added and not handled,
 * the call no longer compiles. At run time (data from outside that the types did not foresee) it
 * throws, so nothing is silently skipped.
 */
export function unreachable(value: never, what = 'case'): never {
  throw new Error(`Unhandled ${what}: ${JSON.stringify(value)?.slice(0, 80)}`);
}
