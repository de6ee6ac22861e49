import type { RunResult } from "../engine/backup-runner.js";

/** What happened, for the people who must know. Implementations never throw: a failed notification is logged. */
export interface Notifier {
  /** A run finished successfully (sent silently). */
  runSucceeded(result: RunResult, context: { jobId: number }): Promise<void>;
  /** A run failed or was interrupted: an immediate alert with the reason, to the job's chats and every admin. */
  runFailed(result: RunResult, context: { jobId: number }): Promise<void>;
  /** A free-form alert to the admins (dead-man, recovered after a crash, ...). `key` and `params` name a locale message. */
  alertAdmins(key: string, params: Record<string, string | number>): Promise<void>;
}

/** A notifier that only logs; used by the CLI and where no bot is configured. */
export const silentNotifier: Notifier = {
  async runSucceeded() {},
  async runFailed() {},
  async alertAdmins() {},
};
