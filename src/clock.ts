/** Time source. Production uses the system clock; tests inject a FakeClock to drive timers. */
export interface Clock {
  now(): number;
  /** Waits `ms` of this clock's time (a FakeClock just moves on); default a real timer. */
  sleep?(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class FakeClock implements Clock {
  constructor(private current = Date.parse('2026-01-01T00:00:00Z')) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(epochMs: number): void {
    this.current = epochMs;
  }
  async sleep(ms: number): Promise<void> {
    this.current += Math.max(0, ms);
  }
}

export const iso = (epochMs: number): string => new Date(epochMs).toISOString();
