import type { Logger } from "../logger.js";

/**
 * Long work started from a chat (a backup run, a restore) runs in the background so that the
 * chat's next updates are not held up behind it (updates are sequential per chat). The bot
 * keeps track of it so that stopping the bot can abort restores and wait for the last edits.
 */
export class BackgroundTasks {
  private readonly running = new Set<Promise<void>>();
  private readonly controller = new AbortController();

  constructor(private readonly log: Logger) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  start(name: string, task: (signal: AbortSignal) => Promise<void>): void {
    const p = task(this.controller.signal)
      .catch((err: unknown) => this.log.error({ err, task: name }, "bot: background task failed"))
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  get size(): number {
    return this.running.size;
  }

  abortAll(reason: unknown): void {
    this.controller.abort(reason);
  }

  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
