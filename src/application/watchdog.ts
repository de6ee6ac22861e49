import { StoreMissingError, type Destination, type RecordedCopy } from "../destinations/port.js";
import { locationOf } from "../engine/part-location.js";
import { checkCopy, type CopyCheck } from "../engine/verify.js";
import type { Logger } from "../logger.js";
import { resetIfFuture } from "./recorded-time.js";
import type { Notifier } from "../notify/port.js";
import type { KeptCopy, PartChecksRepo } from "../repos/part-checks.repo.js";
import type { SettingsRepo } from "../repos/settings.repo.js";
import type { Clock } from "../scheduler/clock.js";
import { formatBytes } from "../shared/format.js";

const DAY_MS = 86_400_000;
/** Settings key: when the last pass started (ms since the epoch). */
export const WATCHDOG_LAST_PASS_KEY = "watchdog.lastPass";

export interface WatchdogOptions {
  /** Bytes one daily pass may download (0: the watchdog is off). */
  dailyBudgetBytes: number;
  /** Every copy is re-checked at least once in this many days, budget permitting. */
  windowDays: number;
}

export interface WatchdogDeps {
  checks: PartChecksRepo;
  settings: SettingsRepo;
  /** The destination a copy was stored to, built from its current settings; null when it was deleted. */
  destinationFor(destinationId: number): Promise<Destination | null>;
  /** The newest copies recorded at a destination, for its `confirmStore`. */
  recordedCopiesAt(destinationId: number): RecordedCopy[];
  /** A destination's name, for alerts ("still restorable from …"). */
  destinationName(destinationId: number): string | null;
  notifier: Notifier;
  clock: Pick<Clock, "now">;
  log: Logger;
  options: WatchdogOptions;
}

export interface PassReport {
  /** Copies re-checked and found intact. */
  intact: number;
  /** Copies found gone or different in this pass (each alerted once). */
  lost: Array<{ copy: KeptCopy; reason: "missing" | "corrupt" }>;
  /** Copies that could not be checked now (a network fault, a deleted destination, a disk not mounted); tried again next pass. */
  skipped: number;
  /** Bytes downloaded. */
  bytes: number;
}

/**
 * The day's sample, a pure function of the kept copies (already ordered: never checked first,
 * then the longest unchecked) and the clock:
 * - the day's share is the total size over the window (at least one copy), capped by the budget;
 * - a copy that would fall out of the window before the next pass (never checked, or checked
 *   `windowDays - 1` days ago or more) is taken even beyond the share, within the budget;
 * - a copy too big for the budget alone is taken when nothing else was (progress, every day).
 * With a budget of at least total/window per day, every copy is re-checked within the window.
 * `cost` is what checking a copy downloads (a copy the destination cannot hand back costs nothing:
 * only its presence is checked).
 */
export function selectSample(candidates: KeptCopy[], now: Date, options: WatchdogOptions, cost: (c: KeptCopy) => number = (c) => c.part.size): KeptCopy[] {
  if (options.dailyBudgetBytes <= 0 || candidates.length === 0) return [];
  const windowMs = options.windowDays * DAY_MS;
  const total = candidates.reduce((n, c) => n + cost(c), 0);
  const share = Math.min(options.dailyBudgetBytes, Math.ceil((total * DAY_MS) / windowMs));
  const picked: KeptCopy[] = [];
  let used = 0;
  for (const c of candidates) {
    const due = c.part.checkedAt == null || now.getTime() - c.part.checkedAt.getTime() >= windowMs - DAY_MS;
    if (!due && used >= share && picked.length > 0) break;
    const size = cost(c);
    if (used + size > options.dailyBudgetBytes && picked.length > 0) {
      if (size === 0) continue;
      break;
    }
    picked.push(c);
    used += size;
  }
  return picked;
}

/**
 * The channel watchdog: once a day it re-downloads a sample of the stored copies of every kept
 * run in every destination (`selectSample`) and checks each against the sha256 recorded at
 * upload. A copy whose message is gone (Telegram: the message, not only its file) or whose bytes
 * differ is marked lost, once; the admins get one alert per run and pass, saying whether
 * another copy can still restore it.
 */
export class Watchdog {
  private running: Promise<PassReport> | null = null;

  constructor(private readonly deps: WatchdogDeps) {}

  /**
   * Called on every scheduler tick: starts a pass when the last one is a day old, and resolves
   * when it ends. The very first tick only starts the clock: the first pass comes a day after
   * the watchdog first ran, not in the busy minute of a start-up or an upgrade.
   */
  async tick(now: Date): Promise<PassReport | null> {
    if (this.deps.options.dailyBudgetBytes <= 0 || this.running) return null;
    const recorded = this.deps.settings.get(WATCHDOG_LAST_PASS_KEY);
    if (recorded === null) {
      this.deps.settings.set(WATCHDOG_LAST_PASS_KEY, String(now.getTime()));
      return null;
    }
    if (resetIfFuture(this.deps.settings, WATCHDOG_LAST_PASS_KEY, now, this.deps.log, "watchdog")) return null;
    if (now.getTime() - Number(recorded) < DAY_MS) return null;
    return this.pass();
  }

  /** One pass now (a second call while one runs joins it). */
  pass(signal?: AbortSignal): Promise<PassReport> {
    this.running ??= this.runPass(signal).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async runPass(signal?: AbortSignal): Promise<PassReport> {
    const { checks, log } = this.deps;
    const started = this.deps.clock.now();
    this.deps.settings.set(WATCHDOG_LAST_PASS_KEY, String(started.getTime()));
    const report: PassReport = { intact: 0, lost: [], skipped: 0, bytes: 0 };
    const destinations = new Map<number, Destination | null>();
    const destinationOf = async (id: number | null): Promise<Destination | null> => {
      if (id == null) return null;
      if (!destinations.has(id)) destinations.set(id, await this.deps.destinationFor(id).catch(() => null));
      return destinations.get(id)!;
    };
    // Whether a destination's copies can be checked in this pass: a folder whose disk is not
    // mounted holds none of them, and they are out of reach, not lost (they are back with the disk).
    const stores = new Map<number, boolean>();
    const storeReady = async (id: number, destination: Destination): Promise<boolean> => {
      if (!destination.confirmStore) return true;
      if (!stores.has(id)) {
        let ready = true;
        try {
          await destination.confirmStore(this.deps.recordedCopiesAt(id), signal);
        } catch (err) {
          if (signal?.aborted) throw err;
          ready = false;
          log.warn({ destination: destination.name, err: (err as Error).message }, "watchdog: a destination's copies cannot be checked now");
          if (err instanceof StoreMissingError) await this.deps.notifier.alertAdmins("watchdog-alert-store-missing", { destination: destination.name, path: err.path });
        }
        stores.set(id, ready);
      }
      return stores.get(id)!;
    };
    const candidates = checks.candidates();
    const fetchable = new Map<number, boolean>();
    for (const c of candidates) {
      const d = await destinationOf(c.part.destinationId);
      fetchable.set(c.part.id, d !== null && (d.maxFetchSize === undefined || c.part.size <= d.maxFetchSize));
    }
    const total = candidates.reduce((n, c) => n + c.part.size, 0);
    if (total > this.deps.options.dailyBudgetBytes * this.deps.options.windowDays) {
      log.warn({ total: formatBytes(total), budget: formatBytes(this.deps.options.dailyBudgetBytes) }, "watchdog: the daily budget cannot re-check every copy within the window; raise WATCHDOG_DAILY_BUDGET");
    }
    const sample = selectSample(candidates, started, this.deps.options, (c) => (fetchable.get(c.part.id) ? c.part.size : 0));
    for (const c of sample) {
      signal?.throwIfAborted();
      const destination = await destinationOf(c.part.destinationId);
      if (!destination || !(await storeReady(c.part.destinationId!, destination))) {
        report.skipped++;
        continue;
      }
      const verdict = await this.check(destination, c, signal);
      if (verdict.downloaded) report.bytes += c.part.size;
      const now = this.deps.clock.now();
      if (verdict.state === "intact") {
        checks.markChecked(c.part.id, now);
        report.intact++;
      } else if (verdict.state === "skipped") {
        report.skipped++;
        log.warn({ run: c.run.id, part: c.part.name, detail: verdict.detail }, "watchdog: a copy could not be checked now");
      } else if (checks.markLost(c.part.id, now, verdict.state)) {
        report.lost.push({ copy: c, reason: verdict.state });
        log.error({ run: c.run.id, job: c.run.jobName, part: c.part.name, reason: verdict.state }, "watchdog: a stored copy is lost");
      }
    }
    await this.alert(report.lost);
    log.info({ sampled: sample.length, intact: report.intact, lost: report.lost.length, skipped: report.skipped, bytes: report.bytes }, "watchdog pass done");
    return report;
  }

  private async check(destination: Destination, c: KeptCopy, signal?: AbortSignal): Promise<{ state: "intact" | "missing" | "corrupt" | "skipped"; downloaded: boolean; detail?: string }> {
    const location = locationOf(c.part);
    try {
      if (destination.exists && (await destination.exists(location, signal)) === false) return { state: "missing", downloaded: false };
    } catch (err) {
      if (signal?.aborted) throw err;
      return { state: "skipped", downloaded: false, detail: (err as Error).message };
    }
    const part = { index: c.part.partIndex, name: c.part.name, size: c.part.size, sha256: c.part.sha256, location };
    let result: CopyCheck = await checkCopy(destination, part, signal);
    // A transfer can go wrong once; a second mismatch means the stored bytes differ.
    if (result.status === "corrupt") result = await checkCopy(destination, part, signal);
    switch (result.status) {
      case "ok":
        return { state: "intact", downloaded: true };
      case "too-big":
        // Present (or its presence cannot be told): all that can be checked through this API.
        return { state: "intact", downloaded: false };
      case "missing":
        return { state: "missing", downloaded: false };
      case "corrupt":
        return { state: "corrupt", downloaded: true };
      case "unreadable":
        return { state: "skipped", downloaded: false, detail: result.detail };
    }
  }

  /** One alert per run and reason: which copies are lost, and whether another copy can still restore the run. */
  private async alert(lost: PassReport["lost"]): Promise<void> {
    const groups = new Map<string, PassReport["lost"]>();
    for (const l of lost) {
      const key = `${l.copy.run.id}/${l.reason}`;
      groups.set(key, [...(groups.get(key) ?? []), l]);
    }
    for (const group of groups.values()) {
      const { run } = group[0]!.copy;
      const copies = this.deps.checks.copiesOf(run.id);
      const partIndexes = [...new Set(copies.filter((p) => p.partIndex > 0).map((p) => p.partIndex))];
      const intact = copies.filter((p) => p.lostAt == null);
      const restorable = partIndexes.length > 0 && partIndexes.every((i) => intact.some((p) => p.partIndex === i));
      const lostIndexes = new Set(group.map((l) => l.copy.part.partIndex));
      const from = [...new Set(intact.filter((p) => lostIndexes.has(p.partIndex)).map((p) => this.copyName(p.destinationId, p.copy)))];
      await this.deps.notifier.alertAdmins("watchdog-alert-lost", {
        job: run.jobName,
        run: run.id,
        reason: group[0]!.reason,
        copies: group.map((l) => `${l.copy.part.name} (${this.copyName(l.copy.part.destinationId, l.copy.part.copy)})`).join(", "),
        restorable: restorable ? "yes" : "no",
        from: from.join(", "),
      });
    }
  }

  private copyName(destinationId: number | null, copy: number): string {
    const name = (destinationId != null ? this.deps.destinationName(destinationId) : null) ?? "?";
    return copy === 1 ? `${name} 🪞` : name;
  }
}
