import type { ChatRoute } from "../domain.js";
import type { Translate } from "../i18n.js";
import type { Logger } from "../logger.js";
import { resetIfFuture } from "./recorded-time.js";
import type { HistoryRepo } from "../repos/history.repo.js";
import type { SettingsRepo } from "../repos/settings.repo.js";
import type { Clock } from "../scheduler/clock.js";
import { dateFormat, formatBytes } from "../shared/format.js";

const WEEK_MS = 7 * 86_400_000;
/** Settings key: the destinations (ids, JSON array) whose chat receives the weekly digest. */
export const DIGEST_DESTINATIONS_KEY = "digest.destinations";
/** Settings key: when the last digest was sent (ms since the epoch). */
export const DIGEST_LAST_SENT_KEY = "digest.lastSent";
/** Telegram's message limit. */
export const MESSAGE_LIMIT = 4096;

export interface DigestJob {
  id: number;
  name: string;
}

export interface DigestDeps {
  history: HistoryRepo;
  settings: SettingsRepo;
  /** Telegram destinations, for the opt-in screen: id, name, and the chat a digest goes to. */
  destinations(): Array<{ id: number; name: string; route: ChatRoute | null }>;
  /** The jobs delivering to a destination. */
  jobsAt(destinationId: number): DigestJob[];
  /** Language of the destination's chat. */
  chatLocale(destinationId: number): string;
  translate: Translate;
  /** Posts one message into a chat (never throws). */
  post(route: ChatRoute, text: string): Promise<void>;
  clock: Pick<Clock, "now">;
  log: Logger;
  /** Zone the digest's dates are said in (TZ). */
  timeZone: string;
}

/**
 * The weekly digest: one message per opted-in destination chat summing up the week of the jobs
 * delivering there — runs (✅ ⚠️ ❌), bytes stored, failures, drills and the watchdog's
 * findings. Opt-in per destination (`toggle`), sent when a week has passed since the last one.
 */
export class DigestService {
  private sending: Promise<number> | null = null;

  constructor(private readonly deps: DigestDeps) {}

  /** Destinations whose chat receives the digest. */
  optedIn(): Set<number> {
    try {
      const ids = JSON.parse(this.deps.settings.get(DIGEST_DESTINATIONS_KEY) ?? "[]") as unknown;
      return new Set(Array.isArray(ids) ? ids.filter((x): x is number => typeof x === "number") : []);
    } catch {
      return new Set();
    }
  }

  /** Turns the digest on or off for a destination's chat; returns the new state. */
  toggle(destinationId: number): boolean {
    const ids = this.optedIn();
    const on = !ids.has(destinationId);
    if (on) ids.add(destinationId);
    else ids.delete(destinationId);
    this.deps.settings.set(DIGEST_DESTINATIONS_KEY, JSON.stringify([...ids].sort((a, b) => a - b)));
    return on;
  }

  destinations(): Array<{ id: number; name: string; on: boolean }> {
    const on = this.optedIn();
    return this.deps.destinations().filter((d) => d.route).map((d) => ({ id: d.id, name: d.name, on: on.has(d.id) }));
  }

  /** On every scheduler tick: sends the digests when a week has passed since the last ones (or none was sent yet). */
  async tick(now: Date): Promise<number> {
    if (this.sending || this.optedIn().size === 0) return 0;
    if (resetIfFuture(this.deps.settings, DIGEST_LAST_SENT_KEY, now, this.deps.log, "weekly digest")) return 0;
    const last = Number(this.deps.settings.get(DIGEST_LAST_SENT_KEY) ?? 0);
    if (now.getTime() - last < WEEK_MS) return 0;
    this.sending = this.sendAll(now).finally(() => {
      this.sending = null;
    });
    return this.sending;
  }

  /** Sends the week up to `now` to every opted-in chat; resolves with how many were sent. */
  async sendAll(now: Date = this.deps.clock.now()): Promise<number> {
    this.deps.settings.set(DIGEST_LAST_SENT_KEY, String(now.getTime()));
    const on = this.optedIn();
    let sent = 0;
    for (const d of this.deps.destinations()) {
      if (!on.has(d.id) || !d.route) continue;
      await this.deps.post(d.route, this.render(d.id, this.deps.chatLocale(d.id), now));
      sent++;
    }
    this.deps.log.info({ chats: sent }, "weekly digest sent");
    return sent;
  }

  /** The digest of the week before `until` for a destination's jobs, in `locale`, at most one message long. */
  render(destinationId: number, locale: string, until: Date): string {
    const jobs = this.deps.jobsAt(destinationId);
    return renderDigest(this.deps.history, this.deps.translate, locale, jobs, new Date(until.getTime() - WEEK_MS), until, this.deps.timeZone);
  }
}

/** The digest text for `jobs` over [from, until): a summary, then one line per job, cut to one message. */
export function renderDigest(history: HistoryRepo, translate: Translate, locale: string, jobs: DigestJob[], from: Date, until: Date, timeZone = "UTC"): string {
  const t = (key: string, params: Record<string, string | number> = {}) => translate(locale, key, params);
  const size = (n: number) => formatBytes(n, { locale, translate });
  const ids = jobs.map((j) => j.id);
  const runs = history.runsBetween(ids, from, until).filter((r) => r.status !== "running");
  const drills = history.drillsBetween(ids, from, until);
  const watchdog = history.watchdogBetween(ids, from, until);
  const good = (r: (typeof runs)[number]) => r.status === "success" && r.verifiedAt != null && !(r.anomalies?.length);
  const warned = (r: (typeof runs)[number]) => r.status === "success" && !good(r);
  const failed = (r: (typeof runs)[number]) => r.status !== "success";
  const bytes = runs.filter((r) => r.status === "success").reduce((n, r) => n + (r.payloadSize ?? 0), 0);
  const day = (d: Date) => dateFormat(locale === "ru" ? "ru-RU" : "en-GB", { day: "numeric", month: "short", timeZone }).format(d);
  const lines = [
    t("digest-title", { from: day(from), until: day(new Date(until.getTime() - 1)), zone: timeZone }),
    t("digest-runs", { runs: runs.length, ok: runs.filter(good).length, warned: runs.filter(warned).length, failed: runs.filter(failed).length, size: size(bytes) }),
    drills.length > 0
      ? t("digest-drills", { drills: drills.length, passed: drills.filter((d) => d.status === "passed").length, failed: drills.filter((d) => d.status !== "passed").length })
      : t("digest-drills-none"),
    watchdog.lost > 0 ? t("digest-watchdog-lost", { checked: watchdog.checked, lost: watchdog.lost }) : t("digest-watchdog", { checked: watchdog.checked }),
    "",
  ];
  const jobLines = jobs.map((job) => {
    const mine = runs.filter((r) => r.jobId === job.id);
    const icon = mine.length === 0 ? "💤" : mine.some(failed) ? "❌" : mine.some(warned) ? "⚠️" : "✅";
    const stored = mine.filter((r) => r.status === "success").reduce((n, r) => n + (r.payloadSize ?? 0), 0);
    return t("digest-job", { icon, job: job.name, runs: mine.length, failed: mine.filter(failed).length, size: size(stored) });
  });
  if (jobs.length === 0) lines.push(t("digest-no-jobs"));
  let text = lines.join("\n");
  for (const [i, line] of jobLines.entries()) {
    const more = t("digest-more", { count: jobLines.length - i });
    const rest = i === jobLines.length - 1 ? "" : more;
    // Always room left for the "… and N more" line.
    if (text.length + 1 + line.length + 1 + rest.length > MESSAGE_LIMIT) {
      text += `\n${more}`;
      break;
    }
    text += `\n${line}`;
  }
  return text;
}
