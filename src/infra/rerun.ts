/**
 * Work that runs one pass at a time and never misses a request: a call while a pass runs joins the
 * run under way and asks for one more pass after it, however many calls come, so whatever a call
 * wanted done is covered by a pass that started after the call. The event log's sequencer and the
 * tail use it; a timed loop is `PollLoop`.
 */
export class Rerun {
  private running?: Promise<void>;
  private again = false;

  /**
   * `pass` should handle its own failures: one that throws ends the run and rejects it. `more` may
   * end a run early although a pass was asked for (the work has nothing left to serve).
   */
  constructor(
    private readonly pass: () => Promise<void>,
    private readonly more: () => boolean = () => true,
  ) {}

  /** Runs a pass now, or one more after the run under way; resolves when the run has ended. */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && this.more());
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** The run under way, if any. */
  get current(): Promise<void> | undefined {
    return this.running;
  }
}
