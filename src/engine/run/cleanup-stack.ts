import type { Logger } from "../../logger.js";

/** One undo: gets a signal that fires when the whole cleanup has taken too long. */
export type CleanupStep = (signal: AbortSignal) => Promise<void> | void;

/**
 * What a run must undo or remove, registered by each step the moment the resource exists
 * (the spool folder, every delivered copy): the run's `finally` unwinds it, last in first out.
 * `onFailure` steps undo what must not outlive a failed run (delivered parts, so nothing
 * half-done looks like a backup); `always` steps remove what no run keeps (the spool).
 *
 * A step's failure is logged and the steps below it still run. All steps share one time limit,
 * so a destination that hangs cannot hold a failed run open; an interrupted run is cleaned up
 * after its own signal fired, which is why the steps get a signal of their own.
 */
export class CleanupStack {
  private readonly steps: Array<{ what: string; step: CleanupStep; onlyOnFailure: boolean }> = [];

  constructor(
    private readonly log: Logger,
    private readonly limitMs: number,
  ) {}

  always(what: string, step: CleanupStep): void {
    this.steps.push({ what, step, onlyOnFailure: false });
  }

  onFailure(what: string, step: CleanupStep): void {
    this.steps.push({ what, step, onlyOnFailure: true });
  }

  /** Runs (and forgets) every registered step, newest first; `onFailure` steps only when `failed`. */
  async unwind(failed: boolean): Promise<void> {
    if (this.steps.length === 0) return;
    const signal = AbortSignal.timeout(this.limitMs);
    for (let entry = this.steps.pop(); entry; entry = this.steps.pop()) {
      if (entry.onlyOnFailure && !failed) continue;
      try {
        await entry.step(signal);
      } catch (err) {
        this.log.warn({ cleanup: entry.what, err: (err as Error).message }, "a cleanup step failed");
      }
    }
  }
}
