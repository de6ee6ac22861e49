import type { TranslateFunction } from "@grammyjs/i18n";
import { GrammyError, type Api, type InlineKeyboard } from "grammy";
import type { Progress, RunResult } from "../engine/backup-runner.js";
import type { RestoreProgress } from "../engine/restore.js";
import type { Logger } from "../logger.js";
import { createSystemClock, type Clock } from "../scheduler/clock.js";
import { formatBytes } from "../shared/format.js";
import { renderTranslatable } from "../shared/translatable.js";
import { clip, formatDuration, speakerOf } from "./format.js";

export const DEFAULT_PROGRESS_INTERVAL_MS = 3000;

/**
 * One chat message edited in place as a long task advances. `update()` may be called as often
 * as the task likes: at most one edit goes out per `intervalMs`, the latest text wins, and an
 * unchanged text is never re-sent. `finish()` waits out the interval too, so the whole life of
 * the message stays within the flood limits, then shows the final text (sent as a new message
 * if the old one cannot be edited any more, e.g. the user deleted it). Time comes from
 * `options.clock` (default the system clock; tests use a manual one).
 */
export class LiveMessage {
  private shown: string;
  private pending: string | null = null;
  private lastEditAt = 0;
  /** Cancels the wait for the next edit, while one is scheduled. */
  private timer: AbortController | null = null;
  private inFlight: Promise<void> = Promise.resolve();
  private finished = false;
  private readonly clock: Clock;

  constructor(
    private readonly api: Api,
    readonly chatId: number,
    readonly messageId: number,
    initialText: string,
    /** `keyboard`: kept under the message on every progress edit (e.g. ⏹ Stop); `finish` sets its own. */
    private readonly options: { intervalMs?: number; log: Logger; clock?: Clock; keyboard?: InlineKeyboard },
  ) {
    this.shown = initialText;
    this.clock = options.clock ?? createSystemClock();
    // The message was just sent: that counts as the first "edit".
    this.lastEditAt = this.now();
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  private get intervalMs(): number {
    return this.options.intervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  }

  update(text: string): void {
    if (this.finished || text === this.shown) {
      if (text === this.shown) this.pending = null;
      return;
    }
    this.pending = text;
    if (this.timer) return;
    const wait = Math.max(0, this.lastEditAt + this.intervalMs - this.now());
    const timer = new AbortController();
    this.timer = timer;
    void this.clock.sleep(wait, timer.signal).then(() => {
      if (timer.signal.aborted) return;
      this.timer = null;
      const next = this.pending;
      this.pending = null;
      if (next !== null && !this.finished) this.inFlight = this.inFlight.then(async () => void (await this.edit(next, this.options.keyboard)));
    });
  }

  /** Shows `text` (with an optional keyboard) as the final state; later updates are ignored. */
  async finish(text: string, keyboard?: InlineKeyboard): Promise<void> {
    this.finished = true;
    this.timer?.abort();
    this.timer = null;
    this.pending = null;
    await this.inFlight;
    const wait = this.lastEditAt + this.intervalMs - this.now();
    if (wait > 0) await this.clock.sleep(wait);
    const ok = await this.edit(text, keyboard);
    if (!ok) {
      await this.api
        .sendMessage(this.chatId, text, keyboard ? { reply_markup: keyboard } : {})
        .catch((err: unknown) => this.options.log.warn({ err: String(err) }, "bot: could not send the final progress text"));
    }
  }

  /** Edits the message; false when it could not be edited (already logged). */
  private async edit(text: string, keyboard?: InlineKeyboard): Promise<boolean> {
    this.lastEditAt = this.now();
    try {
      await this.api.editMessageText(this.chatId, this.messageId, text, keyboard ? { reply_markup: keyboard } : {});
      this.shown = text;
      return true;
    } catch (err) {
      if (err instanceof GrammyError && err.description.includes("message is not modified")) return true;
      this.options.log.warn({ err: String(err), chatId: this.chatId }, "bot: could not edit a progress message");
      return false;
    } finally {
      this.lastEditAt = this.now();
    }
  }
}

/** The first line of a run that waits in the queue: the jobs it waits behind. */
export function backupQueuedText(t: TranslateFunction, job: string, behind: readonly string[]): string {
  return t("progress-queued", { job, behind: behind.join(", ") });
}

/**
 * The progress line of a backup run: "part i of ~n" (`~` while the count is an estimate from
 * the previous run), the bytes every destination really stored, and a pause Telegram imposed.
 */
export function backupProgressText(t: TranslateFunction, job: string, p: Progress | null, locale?: string): string {
  if (!p) return t("progress-starting", { job });
  const line = backupPhaseText(t, job, p, locale);
  return p.waitMs !== undefined ? `${line}\n${t("progress-waiting", { seconds: Math.max(1, Math.round(p.waitMs / 1000)) })}` : line;
}

/** Sizes in the reader's units and decimal separator ("19,0 МиБ"): `locale` is the language `t` speaks. */
function backupPhaseText(t: TranslateFunction, job: string, p: Progress, locale?: string): string {
  const bytes = (n: number) => formatBytes(n, speakerOf(t, locale));
  const raw = bytes(p.rawBytes);
  const payload = bytes(p.payloadBytes);
  switch (p.phase) {
    case "dumping":
      return t("progress-dumping", { job, raw, payload });
    case "uploading": {
      const part = String(p.currentPart ?? p.partsUploaded + 1);
      const sent = bytes(p.sentBytes ?? 0);
      if (!p.partsExpected) return t("progress-uploading-first", { job, part, sent, raw });
      const total = p.partsExact ? String(p.partsExpected) : `~${p.partsExpected}`;
      return t("progress-uploading", { job, part, total, sent, raw });
    }
    case "manifest":
      return t("progress-manifest", { job, parts: p.partsUploaded, payload });
    case "verifying":
      return t("progress-verifying", { job, parts: p.partsUploaded, payload });
    case "done":
      return t("progress-finishing", { job, payload });
  }
}

/** The final text of a backup run. */
export function backupResultText(t: TranslateFunction, r: RunResult, locale?: string): string {
  const common = { job: r.job, run: String(r.runId), duration: formatDuration(t, r.durationMs, locale) };
  if (r.status === "success") {
    // ✅ only when every part was read back; otherwise the run is stored but not proven restorable.
    return t(r.verified ? "progress-success" : "progress-success-unverified", {
      ...common,
      file: r.fileName,
      size: formatBytes(r.payloadSize, speakerOf(t, locale)),
      raw: formatBytes(r.rawSize, speakerOf(t, locale)),
      parts: r.parts,
      verified: r.verified ? "yes" : "no",
    });
  }
  if (r.status === "cancelled") return t("progress-cancelled", { ...common, parts: r.parts });
  // The stored reason (key + params) in the reader's language; the English text only for a run recorded without one.
  const reason = r.errorKey ? renderTranslatable((_locale, key, params) => t(key, params), "", { key: r.errorKey, params: r.errorParams }) : (r.error ?? "?");
  return t(r.status === "failed" ? "progress-failed" : "progress-interrupted", { ...common, reason: clip(reason, 1000) });
}

export function restoreProgressText(t: TranslateFunction, target: string, run: string, p: RestoreProgress | null, locale = ""): string {
  if (!p) return t("restore-progress-starting", { run, target });
  const args = { run, target, bytes: formatBytes(p.bytes, speakerOf(t, locale)), total: formatBytes(p.total, speakerOf(t, locale)) };
  switch (p.phase) {
    case "downloading":
      return t("restore-progress-downloading", args);
    case "checking":
      return t("restore-progress-checking", args);
    case "loading":
      return t("restore-progress-loading", args);
    case "done":
      return t("restore-progress-finishing", args);
  }
}
