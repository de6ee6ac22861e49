import type { Api } from "grammy";
import { formatBytes, formatDuration } from "../shared/format.js";
import type { ChatRoute, ResolvedJob } from "../domain.js";
import type { RunResult } from "../engine/backup-runner.js";
import type { Translate } from "../i18n.js";
import type { Logger } from "../logger.js";
import { classify } from "../telegram/api.js";
import { renderTranslatable } from "../shared/translatable.js";
import { drillText } from "../engine/drill.js";
import { clockSkewConfirmData, type ClockSkewAlert, type Notifier } from "./port.js";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** At most this many skewed runs are listed in one alert; the rest are counted. */
const SKEW_LINES = 8;

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
  const send = async (chat: string | number, text: string, options: { thread?: number; silent: boolean; button?: { text: string; data: string } }) => {
    try {
      await deps.api.sendMessage(chat, text.slice(0, 4096), {
        disable_notification: options.silent,
        ...(options.thread ? { message_thread_id: options.thread } : {}),
        ...(options.button ? { reply_markup: { inline_keyboard: [[{ text: options.button.text, callback_data: options.button.data }]] } } : {}),
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

  /** A run's facts in `locale`: sizes and durations in its units and decimal separator. */
  const successParams = (r: RunResult, locale: string) => ({
    job: r.job,
    file: r.fileName,
    size: formatBytes(r.payloadSize, { locale, translate: deps.translate }),
    parts: r.parts,
    duration: formatDuration(r.durationMs, { locale, translate: deps.translate }),
    sha: r.sha256 ?? "",
    verified: r.verified ? "yes" : "no",
  });
  /** One line per skewed run, in `locale`. */
  const skewText = (locale: string, alert: ClockSkewAlert) => {
    const t = (key: string, params: Record<string, string | number>) => deps.translate(locale, key, params);
    const offset = (ms: number) => (ms >= DAY_MS ? t("clock-skew-days", { days: Math.round(ms / DAY_MS) }) : t("clock-skew-hours", { hours: Math.max(1, Math.round(ms / HOUR_MS)) }));
    const lines = alert.skews.slice(0, SKEW_LINES).map((s) =>
      s.kind === "ahead"
        ? t("clock-skew-run-ahead", { run: s.runId, at: utc(s.startedAt), offset: offset(s.byMs) })
        : t("clock-skew-run-behind", { run: s.runId, at: utc(s.startedAt), offset: offset(s.byMs), ref: s.reference?.runId ?? "?" }),
    );
    if (alert.skews.length > SKEW_LINES) lines.push(t("clock-skew-more", { count: alert.skews.length - SKEW_LINES }));
    return t("alert-clock-skew", { job: alert.job, now: utc(alert.now), runs: lines.join("\n") });
  };
  /** The stored reason (key + params) said in `locale`; a run recorded without a key keeps its English text. */
  const failureParams = (r: RunResult, locale: string) => ({
    job: r.job,
    run: r.runId,
    reason: r.errorKey ? renderTranslatable(deps.translate, locale, { key: r.errorKey, params: r.errorParams }) : (r.error ?? ""),
  });

  return {
    async runSucceeded(result, { jobId }) {
      const job = await deps.job(jobId);
      // ✅ only for a run read back in full: anything else may not be restorable, so it says ⚠️ and is not silent.
      const key = result.verified ? "run-success" : "run-success-unverified";
      for (const r of routes(job, job?.notify.success)) {
        await send(r.chat_id, deps.translate(deps.channelLocale(), key, successParams(result, deps.channelLocale())), { thread: r.thread_id, silent: result.verified });
      }
    },

    async runFailed(result, { jobId }) {
      const key = result.status === "interrupted" ? "run-interrupted" : "run-failed";
      const job = await deps.job(jobId).catch(() => null);
      for (const r of routes(job, job?.notify.failure)) {
        await send(r.chat_id, deps.translate(deps.channelLocale(), key, failureParams(result, deps.channelLocale())), { thread: r.thread_id, silent: false });
      }
      for (const admin of deps.adminIds) {
        const locale = deps.userLocale(admin);
        await send(admin, deps.translate(locale, key, failureParams(result, locale)), { silent: false });
      }
    },

    async alertAdmins(key, params) {
      for (const admin of deps.adminIds) {
        await send(admin, deps.translate(deps.userLocale(admin), key, params), { silent: false });
      }
    },

    async runAnomalous(result, { jobId }) {
      const job = await deps.job(jobId);
      const text = (locale: string) => {
        const reasons = (result.anomalies ?? []).map((a) => `• ${deps.translate(locale, a.key, a.params)}`).join("\n");
        return deps.translate(locale, "run-success-anomaly", { ...successParams(result, locale), reasons });
      };
      for (const r of routes(job, job?.notify.success)) await send(r.chat_id, text(deps.channelLocale()), { thread: r.thread_id, silent: false });
      for (const admin of deps.adminIds) await send(admin, text(deps.userLocale(admin)), { silent: false });
    },

    async drillFinished(report, { jobId }) {
      const job = await deps.job(jobId).catch(() => null);
      const text = (locale: string) => drillText(deps.translate, locale, report);
      for (const r of routes(job, report.status === "failed" ? job?.notify.failure : job?.notify.success)) {
        await send(r.chat_id, text(deps.channelLocale()), { thread: r.thread_id, silent: report.status !== "failed" });
      }
      if (report.status === "failed") for (const admin of deps.adminIds) await send(admin, text(deps.userLocale(admin)), { silent: false });
    },

    async postToChat(route, text) {
      await send(route.chat_id, text, { thread: route.thread_id, silent: true });
    },

    async clockSkew(alert) {
      for (const admin of deps.adminIds) {
        const locale = deps.userLocale(admin);
        await send(admin, skewText(locale, alert), {
          silent: false,
          button: { text: deps.translate(locale, "clock-skew-confirm-button", {}), data: clockSkewConfirmData(alert.jobId) },
        });
      }
    },
  };
}

/** "2027-02-06 03:00 UTC": the recorded instant as it is, in any language. */
function utc(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
