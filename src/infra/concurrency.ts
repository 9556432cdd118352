/**
 * At most `max` tasks at once; the others wait their turn, in order, for at most `maxWaitMs`.
 * Written here rather than taken from p-limit, which has been ESM-only since version 4 while this
 * package is CommonJS, and has no bound on the wait.
 */
export class QueueTimeoutError extends Error {
  constructor(readonly waiting: number) {
    super(`gave up waiting for a turn (${waiting} waiting)`);
    this.name = 'QueueTimeoutError';
  }
}

export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly max: number,
    private readonly maxWaitMs: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.max) this.active++;
    else await this.turn(); // a finishing task hands its place over: `active` stays as it is
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  private turn(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const go = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const at = this.waiting.indexOf(go);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(new QueueTimeoutError(this.waiting.length));
      }, this.maxWaitMs);
      timer.unref();
      this.waiting.push(go);
    });
  }
}
