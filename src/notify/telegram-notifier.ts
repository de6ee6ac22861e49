import type { Api } from "grammy";
import { dateFormat, formatBytes, formatDuration } from "../shared/format.js";
import type { ChatRoute, ResolvedJob } from "../domain.js";
import type { RunResult } from "../engine/backup-runner.js";
import type { Translate } from "../i18n.js";
import type { Logger } from "../logger.js";
import { classify } from "../telegram/api.js";
import { renderTranslatable } from "../shared/translatable.js";
import { drillText } from "../engine/drill.js";
import type { AlertsRepo } from "../repos/alerts.repo.js";
import type { Clock } from "../scheduler/clock.js";
import { alertButtonData, alertFailure, alertRecovery, chatKey, mirrorReasonKeyOf, reasonKeyOf, type AlertChat, type AlertWire, type InlineButton } from "./alert-episodes.js";
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
  /** Language of messages posted into a chat whose destination names none. */
  channelLocale: () => string;
  /** The job as it is now (routes and destination chats); null when it was deleted meanwhile. */
  job: (jobId: number) => Promise<ResolvedJob | null>;
  log: Logger;
  /** Open alert episodes: repeats of a failure edit one message per chat. Absent: every failure alerts anew. */
  alerts?: AlertsRepo;
  /** "Now" of an episode's first failure; default the system clock. */
  clock?: Pick<Clock, "now">;
  /** Time zone of jobs without one (TZ), for "since 16:33 (Europe/Moscow)". */
  defaultTimezone?: string;
}

/**
 * Success messages go silently to the job's success route (default: each Telegram destination
 * chat); failures go loudly to the failure route (default: the destination chats) and privately
 * to every admin, each in its language (a destination's `language`, an admin's own). Repeats of
 * the same failure edit those messages (src/notify/alert-episodes.ts); a success after them says
 * once that the job recovered.
 */
export function createTelegramNotifier(deps: TelegramNotifierDeps): Notifier {
  /** Private chats where a job's result is already shown (Run now), by job. */
  const shownIn = new Map<number, number>();
  const now = () => deps.clock?.now() ?? new Date();

  const send = async (chat: string | number, text: string, options: { thread?: number; silent: boolean; buttons?: InlineButton[][]; replyTo?: number }): Promise<number | null> => {
    try {
      const sent = await deps.api.sendMessage(chat, text.slice(0, 4096), {
        disable_notification: options.silent,
        ...(options.thread ? { message_thread_id: options.thread } : {}),
        ...(options.buttons ? { reply_markup: { inline_keyboard: options.buttons } } : {}),
        ...(options.replyTo ? { reply_parameters: { message_id: options.replyTo, allow_sending_without_reply: true } } : {}),
      });
      return sent.message_id;
    } catch (err) {
      deps.log.warn({ chat, err: classify(err).detail }, "notification not delivered");
      return null;
    }
  };
  const wire: AlertWire = {
    send: (c, text, options) => send(c.chat, text, { thread: c.thread, ...options }),
    async edit(c, messageId, text, buttons) {
      try {
        await deps.api.editMessageText(c.chat, messageId, text.slice(0, 4096), buttons ? { reply_markup: { inline_keyboard: buttons } } : {});
        return true;
      } catch (err) {
        const detail = classify(err).detail;
        if (detail.includes("message is not modified")) return true;
        deps.log.info({ chat: c.chat, err: detail }, "alert message not editable: sending a new one");
        return false;
      }
    },
  };

  /** The chats of a route (default: the job's Telegram destination chats), each in its destination's language. */
  const routes = (job: ResolvedJob | null, route: ChatRoute | undefined): AlertChat[] => {
    const languageOf = (chat: string | number, thread?: number): string => {
      const d = job?.destinations.find((x) => x.config.kind === "telegram" && String(x.config.chatId) === String(chat) && (thread === undefined || x.config.threadId === thread));
      return (d?.config.kind === "telegram" ? d.config.language : undefined) ?? deps.channelLocale();
    };
    const chat = (r: ChatRoute): AlertChat => ({ key: chatKey(r.chat_id, r.thread_id), chat: r.chat_id, thread: r.thread_id, locale: languageOf(r.chat_id, r.thread_id), admin: false });
    if (route) return [chat(route)];
    if (!job) return [];
    const out = new Map<string, AlertChat>();
    for (const d of job.destinations) {
      if (d.config.kind !== "telegram") continue;
      const c = chat({ chat_id: d.config.chatId, ...(d.config.threadId ? { thread_id: d.config.threadId } : {}) });
      if (!out.has(c.key)) out.set(c.key, c);
    }
    return [...out.values()];
  };
  const admin = (id: number): AlertChat => ({ key: chatKey(id), chat: id, locale: deps.userLocale(id), admin: true });
  /** Where a failure goes: the failure route, then every admin (an admin's own chat as a route is told once, as an admin). */
  const failureChats = (job: ResolvedJob | null): AlertChat[] => [...new Map([...routes(job, job?.notify.failure), ...deps.adminIds.map(admin)].map((c) => [c.key, c])).values()];

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

  /** "16:33 (Europe/Moscow)", or with the date when the episode began on another day. */
  const since = (at: Date, job: ResolvedJob | null, locale: string): string => {
    const timeZone = job?.timezone ?? deps.defaultTimezone ?? "UTC";
    const day = (d: Date) => dateFormat("en-CA", { timeZone, dateStyle: "short" }).format(d);
    const intl = locale === "ru" ? "ru-RU" : "en-GB";
    const options: Intl.DateTimeFormatOptions = { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23", ...(day(at) === day(now()) ? {} : { day: "numeric", month: "short" }) };
    return `${dateFormat(intl, options).format(at)} (${timeZone})`;
  };
  const alertButtons = (jobId: number) => (c: AlertChat): InlineButton[][] | undefined => {
    if (!c.admin) return undefined;
    const data = alertButtonData(jobId);
    const t = (key: string) => deps.translate(c.locale, key, {});
    return [[{ text: t("alert-btn-card"), callback_data: data.card }, { text: t("alert-btn-run"), callback_data: data.run }, { text: t("alert-btn-disable"), callback_data: data.disable }]];
  };
  /** Closes an open episode of the job with one recovery message per alerted chat. */
  const recovered = async (job: ResolvedJob | null, jobId: number, name: string) => {
    if (!deps.alerts) return;
    const chats = new Map(failureChats(job).map((c) => [c.key, c]));
    await alertRecovery(deps.alerts.forJob(jobId), wire, {
      shownIn: shownIn.get(jobId),
      chats: (key) => chats.get(key) ?? null,
      text: (c, ep) => deps.translate(c.locale, "alert-recovered-run", { job: name, count: ep.count, since: since(ep.startedAt, job, c.locale) }),
    }).catch((err: unknown) => deps.log.warn({ jobId, err: (err as Error).message }, "recovery message not sent"));
  };

  return {
    async runSucceeded(result, { jobId }) {
      const job = await deps.job(jobId);
      // ✅ only for a run read back in full: anything else may not be restorable, so it says ⚠️ and is not silent.
      const key = result.verified ? "run-success" : "run-success-unverified";
      for (const c of routes(job, job?.notify.success)) {
        await send(c.chat, deps.translate(c.locale, key, successParams(result, c.locale)), { thread: c.thread, silent: result.verified });
      }
      await recovered(job, jobId, result.job);
    },

    async runFailed(result, { jobId }) {
      const key = result.status === "interrupted" ? "run-interrupted" : "run-failed";
      const job = await deps.job(jobId).catch(() => null);
      const chats = failureChats(job);
      await alertFailure(deps.alerts?.forJob(jobId), wire, {
        reason: reasonKeyOf(result),
        now: now(),
        chats,
        shownIn: shownIn.get(jobId),
        texts: {
          first: (c) => deps.translate(c.locale, key, failureParams(result, c.locale)),
          repeat: (c, ep) => deps.translate(c.locale, "alert-still-failing", { ...failureParams(result, c.locale), count: ep.count, since: since(ep.startedAt, job, c.locale) }),
          buttons: alertButtons(jobId),
        },
        storeFailed: (err) => deps.log.warn({ jobId, err: (err as Error).message }, "alert episode not recorded"),
      });
    },

    resultShownIn(jobId, chatId) {
      shownIn.set(jobId, chatId);
      return () => {
        if (shownIn.get(jobId) === chatId) shownIn.delete(jobId);
      };
    },

    async alertAdmins(key, params) {
      for (const admin of deps.adminIds) {
        await send(admin, deps.translate(deps.userLocale(admin), key, params), { silent: false });
      }
    },

    async mirrorResult(result, { jobId }) {
      const { alerts } = deps;
      const failures = result.mirrorFailures ?? [];
      const mirrored = result.mirrored ?? [];
      if (failures.length === 0 && (mirrored.length === 0 || !alerts)) return;
      const job = await deps.job(jobId).catch(() => null);
      const chats = deps.adminIds.map(admin);
      for (const f of failures) {
        const params = { job: result.job, destination: f.destination, error: f.error };
        await alertFailure(alerts?.forMirror(jobId, f.destinationId), wire, {
          reason: mirrorReasonKeyOf(f.error),
          now: now(),
          chats,
          texts: {
            first: (c) => deps.translate(c.locale, "alert-mirror-failed", params),
            repeat: (c, ep) => deps.translate(c.locale, "alert-mirror-still-failing", { ...params, count: ep.count, since: since(ep.startedAt, job, c.locale) }),
            buttons: () => undefined,
          },
          storeFailed: (err) => deps.log.warn({ jobId, err: (err as Error).message }, "mirror alert episode not recorded"),
        });
      }
      const byKey = new Map(chats.map((c) => [c.key, c]));
      for (const m of mirrored) {
        if (!alerts) break;
        await alertRecovery(alerts.forMirror(jobId, m.destinationId), wire, {
          chats: (key) => byKey.get(key) ?? null,
          text: (c, ep) => deps.translate(c.locale, "alert-mirror-recovered", { job: result.job, destination: m.destination, count: ep.count, since: since(ep.startedAt, job, c.locale) }),
        }).catch((err: unknown) => deps.log.warn({ jobId, err: (err as Error).message }, "mirror recovery message not sent"));
      }
    },

    async runAnomalous(result, { jobId }) {
      const job = await deps.job(jobId);
      const text = (locale: string) => {
        const reasons = (result.anomalies ?? []).map((a) => `• ${deps.translate(locale, a.key, a.params)}`).join("\n");
        return deps.translate(locale, "run-success-anomaly", { ...successParams(result, locale), reasons });
      };
      for (const c of routes(job, job?.notify.success)) await send(c.chat, text(c.locale), { thread: c.thread, silent: false });
      for (const admin of deps.adminIds) await send(admin, text(deps.userLocale(admin)), { silent: false });
      await recovered(job, jobId, result.job);
    },

    async drillFinished(report, { jobId }) {
      const job = await deps.job(jobId).catch(() => null);
      const text = (locale: string) => drillText(deps.translate, locale, report);
      for (const c of routes(job, report.status === "failed" ? job?.notify.failure : job?.notify.success)) {
        await send(c.chat, text(c.locale), { thread: c.thread, silent: report.status !== "failed" });
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
          buttons: [[{ text: deps.translate(locale, "clock-skew-confirm-button", {}), callback_data: clockSkewConfirmData(alert.jobId) }]],
        });
      }
    },
  };
}

/** "2027-02-06 03:00 UTC": the recorded instant as it is, in any language. */
function utc(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
