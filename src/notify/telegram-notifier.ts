import type { Api } from "grammy";
import { formatBytes, formatDuration } from "../cli/format.js";
import type { ChatRoute } from "../db/schema.js";
import type { ResolvedJob } from "../domain.js";
import type { RunResult } from "../engine/backup-runner.js";
import type { Translate } from "../i18n.js";
import type { Logger } from "../logger.js";
import { classify } from "../telegram/api.js";
import type { Notifier } from "./port.js";

export interface TelegramNotifierDeps {
  /** The main bot's API client (with auto-retry). */
  api: Api;
  adminIds: number[];
  translate: Translate;
  /** An admin's chosen language (from /lang). */
  userLocale: (userId: number) => string;
  /** Language of messages posted into channels. */
  channelLocale: () => string;
  /** The job as it is now (routes and destination chats); null when it was deleted meanwhile. */
  job: (jobId: number) => Promise<ResolvedJob | null>;
  log: Logger;
}

/**
 * Success messages go silently to the job's success route (default: each Telegram destination
 * chat); failures go loudly to the failure route (default: the destination chats) and privately
 * to every admin.
 */
export function createTelegramNotifier(deps: TelegramNotifierDeps): Notifier {
  const send = async (chat: string | number, text: string, options: { thread?: number; silent: boolean }) => {
    try {
      await deps.api.sendMessage(chat, text.slice(0, 4096), {
        disable_notification: options.silent,
        ...(options.thread ? { message_thread_id: options.thread } : {}),
      });
    } catch (err) {
      deps.log.warn({ chat, err: classify(err).detail }, "notification not delivered");
    }
  };

  const routes = (job: ResolvedJob | null, route: ChatRoute | undefined): ChatRoute[] => {
    if (route) return [route];
    if (!job) return [];
    const seen = new Set<string>();
    const out: ChatRoute[] = [];
    for (const d of job.destinations) {
      if (d.config.kind !== "telegram") continue;
      const key = `${d.config.chatId}/${d.config.threadId ?? ""}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ chat_id: d.config.chatId, ...(d.config.threadId ? { thread_id: d.config.threadId } : {}) });
    }
    return out;
  };

  const successParams = (r: RunResult) => ({
    job: r.job,
    file: r.fileName,
    size: formatBytes(r.payloadSize),
    parts: r.parts,
    duration: formatDuration(r.durationMs),
    sha: r.sha256 ?? "",
    verified: r.verified ? "yes" : "no",
  });
  const failureParams = (r: RunResult) => ({ job: r.job, run: r.runId, reason: r.error ?? "" });

  return {
    async runSucceeded(result, { jobId }) {
      const job = await deps.job(jobId);
      for (const r of routes(job, job?.notify.success)) {
        await send(r.chat_id, deps.translate(deps.channelLocale(), "run-success", successParams(result)), { thread: r.thread_id, silent: true });
      }
    },

    async runFailed(result, { jobId }) {
      const key = result.status === "interrupted" ? "run-interrupted" : "run-failed";
      const job = await deps.job(jobId).catch(() => null);
      for (const r of routes(job, job?.notify.failure)) {
        await send(r.chat_id, deps.translate(deps.channelLocale(), key, failureParams(result)), { thread: r.thread_id, silent: false });
      }
      for (const admin of deps.adminIds) {
        await send(admin, deps.translate(deps.userLocale(admin), key, failureParams(result)), { silent: false });
      }
    },

    async alertAdmins(key, params) {
      for (const admin of deps.adminIds) {
        await send(admin, deps.translate(deps.userLocale(admin), key, params), { silent: false });
      }
    },
  };
}
