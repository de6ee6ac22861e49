import type { RunResult } from "../engine/backup-runner.js";
import type { ClockSkew } from "../engine/retention.js";
import type { ChatRoute } from "../domain.js";
import type { DrillReport } from "../engine/drill.js";

/** Pruning of a job is paused because its run history holds clock errors (see src/engine/retention.ts). */
export interface ClockSkewAlert {
  jobId: number;
  job: string;
  /** The clock at the time of the check. */
  now: Date;
  skews: ClockSkew[];
}

/** What happened, for the people who must know. Implementations never throw: a failed notification is logged. */
export interface Notifier {
  /** A run finished successfully (sent silently). */
  runSucceeded(result: RunResult, context: { jobId: number }): Promise<void>;
  /** A run failed or was interrupted: an immediate alert with the reason, to the job's chats and every admin. */
  runFailed(result: RunResult, context: { jobId: number }): Promise<void>;
  /** A free-form alert to the admins (dead-man, recovered after a crash, ...). `key` and `params` name a locale message. */
  alertAdmins(key: string, params: Record<string, string | number>): Promise<void>;
  /**
   * Clock errors pause a job's pruning: one alert to every admin naming the skewed runs, with a
   * way to confirm the clock is right again. Optional: a notifier without it says nothing.
   */
  clockSkew?(alert: ClockSkewAlert): Promise<void>;
  /** Posts a finished text (the weekly digest, src/application/digest.ts) silently into one chat. Optional. */
  postToChat?(route: ChatRoute, text: string): Promise<void>;
  /**
   * A successful run that looks wrong (`result.anomalies`): instead of `runSucceeded`, its success
   * message marked ⚠️ with the reasons (not silent), and an alert to every admin. Optional.
   */
  runAnomalous?(result: RunResult, context: { jobId: number }): Promise<void>;
  /**
   * What mirroring a successful run did (`result.mirrorFailures`, `result.mirrored`): a failing
   * mirror chat alerts the admins once and edits that alert on each repeat; the next good copy
   * there says it recovered. Optional: a notifier without it says nothing of mirrors.
   */
  mirrorResult?(result: RunResult, context: { jobId: number }): Promise<void>;
  /** A restore drill finished (src/application/drill.ts): posted like a run result; a failed one also alerts the admins. Optional. */
  drillFinished?(report: DrillReport, context: { jobId: number }): Promise<void>;
  /**
   * The job's next result is shown in this private chat already (the bot's Run now progress
   * message): until the returned function is called, that admin gets no separate alert for it.
   * Optional.
   */
  resultShownIn?(jobId: number, chatId: number): () => void;
}

/**
 * Callback data of the "the clock is right, resume pruning" button under a clock-skew alert;
 * the bot's /status feature answers it (`CLOCK_SKEW_CONFIRM_PATTERN`).
 */
export const clockSkewConfirmData = (jobId: number): string => `skew:ok:${jobId}`;
export const CLOCK_SKEW_CONFIRM_PATTERN = /^skew:ok:(\d+)$/;

/** Callback data of the "disable this job" button under a failure alert (src/bot/features/alerts.ts answers it). */
export const alertDisableData = (jobId: number): string => `alert:off:${jobId}`;
export const ALERT_DISABLE_PATTERN = /^alert:off:(\d+)$/;

/** A notifier that only logs; used by the CLI and where no bot is configured. */
export const silentNotifier: Notifier = {
  async runSucceeded() {},
  async runFailed() {},
  async alertAdmins() {},
  async clockSkew() {},
  async runAnomalous() {},
  async drillFinished() {},
  async mirrorResult() {},
};
