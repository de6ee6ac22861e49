import type { Clock } from "../../src/scheduler/clock.js";

interface Sleeper {
  at: number;
  seq: number;
  wake: () => void;
}

/**
 * A clock that moves only when the test calls `advance`/`advanceTo`. Sleepers wake in time
 * order, each at its own due instant, and the code they resume gets to run (promise callbacks
 * and already-queued I/O callbacks) before the next one wakes — so a scheduler driven by this
 * clock behaves as it would in real time, without real waiting.
 */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private sleepers: Sleeper[] = [];

  constructor(start: Date | string | number) {
    this.t = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.t);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const sleeper: Sleeper = {
        at: this.t + Math.max(0, ms),
        seq: this.seq++,
        wake: () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          signal?.removeEventListener("abort", sleeper.wake);
          resolve();
        },
      };
      this.sleepers.push(sleeper);
      signal?.addEventListener("abort", sleeper.wake, { once: true });
    });
  }

  /** Moves time forward by `ms`, waking every sleeper due on the way. */
  advance(ms: number): Promise<void> {
    return this.advanceTo(this.t + ms);
  }

  async advanceTo(target: Date | string | number): Promise<void> {
    const end = new Date(target).getTime();
    if (end < this.t) throw new Error(`ManualClock cannot go back from ${this.now().toISOString()} to ${new Date(end).toISOString()}`);
    await settle();
    for (;;) {
      const due = this.sleepers.filter((s) => s.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.t = Math.max(this.t, due.at);
      due.wake();
      await settle();
    }
    this.t = end;
    await settle();
  }

  /** How many sleeps are pending (a running loop has exactly one). */
  pending(): number {
    return this.sleepers.length;
  }
}

/** Lets pending promise callbacks and queued immediates run; no timers, no real waiting. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}
