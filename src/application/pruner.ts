import type { RunPartRow, RunRow } from "../db/schema.js";
import { RECORDED_COPIES_TO_CONFIRM, type Destination, type StoredLocation } from "../destinations/port.js";
import type { Retention } from "../domain.js";
import type { Logger } from "../logger.js";
import type { Notifier } from "../notify/port.js";
import type { RunsRepo } from "../repos/runs.repo.js";
import type { Clock } from "../scheduler/clock.js";
import type { RunResult } from "../engine/backup-runner.js";
import { locationOf } from "../engine/part-location.js";
import { selectRetention, type ClockSkew, type PruneReason } from "../engine/retention.js";
import type { SkewGuard } from "../engine/skew-guard.js";
import { isOwnRun } from "../engine/installation.js";

export interface PrunerDeps {
  runs: RunsRepo;
  /**
   * The destination that stored parts under this destination id, built from its current
   * configuration; null when it no longer exists.
   */
  destinationFor(destinationId: number): Promise<Destination | null>;
  log: Logger;
  /** Time zone for jobs without one (GFS days, weeks and months are calendar ones there). */
  defaultTimezone: string;
  /** Time for `max_age_days`, the clock-error check and `expired_at`; default the system clock. */
  clock?: Pick<Clock, "now">;
  /**
   * Remembers clock errors between prunes (one alert per episode, an admin's confirmation).
   * Without it, a clock error still pauses pruning, but nobody is told and nothing resumes it.
   */
  skewGuard?: SkewGuard;
  /** Told once per episode when clock errors pause the job's pruning. */
  notifier?: Notifier;
  /** Locations handed to one `Destination.delete` call at most (Telegram's deleteMessages takes 100). */
  batchSize?: number;
  /**
   * Called with the runs about to be pruned, before anything is deleted: publishes the job's
   * chat catalogs without them, so a catalog never lists a run whose parts are gone. When it
   * throws, nothing is deleted this time (the runs are tried again after the next run).
   */
  beforeDelete?: (jobId: number, runIds: number[]) => Promise<void>;
}

export interface PruneJob {
  id: number;
  name: string;
  retention: Retention;
  timezone: string | null;
}

export interface PrunedRun {
  runId: number;
  reasons: PruneReason[];
  /** Parts deleted at their destination and marked deleted. */
  deleted: number;
  /** Parts left where they are: the destination refused (Telegram's 48-hour rule) or no longer exists. */
  left: number;
}

export interface PruneReport {
  /** Why nothing was pruned, when nothing was tried. */
  skipped: string | null;
  kept: number;
  /** Runs now marked expired. */
  expired: PrunedRun[];
  /** Runs whose parts could not be deleted this time (the destination failed); tried again next time. */
  retry: Array<{ runId: number; error: string }>;
  /** Unconfirmed clock errors in the job's history; non-empty means nothing was pruned. */
  skews: ClockSkew[];
}

/** Records a run's candidates can hold; list calls take this as "all". */
const ALL_RUNS = 1_000_000;

/**
 * Applies a job's retention after a run:
 * - only to this installation's runs (`runs.installation_id`): another installation's runs in
 *   the same job (adopted, not taken over) are never pruned here;
 * - only when that run succeeded and was verified (a failing job never loses its old backups);
 * - runs already expired are out of the picture; the rest go through `selectRetention`, in
 *   sequence (id) order, and the run that has just finished is never pruned;
 * - a clock error in the history (see retention.ts) pauses pruning: nothing is deleted, and the
 *   admins get one alert per episode, until one of them confirms the clock is right;
 * - for every run to prune, its live parts are deleted at their destinations (one batched
 *   `delete` per destination) and marked deleted; parts the destination refuses to delete, or
 *   whose destination no longer exists, stay recorded as they are (they still exist there);
 * - the run is then marked expired (`expired_at`), whether or not parts were left behind, so
 *   restore and the bot can tell it is no longer a kept backup. A destination that fails
 *   (network, 5xx) leaves its runs unexpired, to be tried again after the next run.
 */
export class Pruner {
  constructor(private readonly deps: PrunerDeps) {}

  /** `signal` (shutdown) stops the deletions; runs not yet expired are tried again after the next run. */
  async afterRun(job: PruneJob, result: Pick<RunResult, "runId" | "status" | "verified">, signal?: AbortSignal): Promise<PruneReport> {
    if (result.status !== "success" || !result.verified) {
      return { skipped: "pruning runs only after a verified successful run", kept: 0, expired: [], retry: [], skews: [] };
    }
    return this.prune(job, result.runId, signal);
  }

  private async prune(job: PruneJob, justFinished: number, signal?: AbortSignal): Promise<PruneReport> {
    const { runs, log, skewGuard } = this.deps;
    const now = this.deps.clock?.now() ?? new Date();
    // Only this installation's runs: runs adopted from another installation (same chat, same
    // job name) are that installation's to prune, until they are taken over.
    const history = runs.listByJob(job.id, ALL_RUNS).filter((r) => runs.installationId == null || isOwnRun(r, runs.installationId));
    const candidates = history.filter((r) => r.expiredAt == null);
    const plan = selectRetention(
      candidates.map((r) => ({ id: r.id, startedAt: r.startedAt, status: r.status, verified: r.verifiedAt != null, row: r })),
      job.retention,
      { now, timezone: job.timezone ?? this.deps.defaultTimezone, justFinished, acknowledgedSkews: skewGuard?.acknowledged(job.id), history },
    );
    const report: PruneReport = { skipped: null, kept: plan.keep.length, expired: [], retry: [], skews: plan.skews };
    // A run an earlier, unfinished pruning marked (see below) that the policy keeps after all is checked again.
    for (const { run } of plan.keep) if (run.row.expiringAt != null) runs.update(run.id, { expiringAt: null });
    const alert = skewGuard?.observe(job.id, plan.skews, now) ?? false;
    if (plan.skews.length > 0) {
      report.skipped = "clock error in the run history: pruning is paused";
      log.warn({ job: job.name, skews: plan.skews.map((s) => ({ run: s.runId, kind: s.kind, byMs: s.byMs })) }, "clock error in the run history: pruning paused");
      if (alert) await this.deps.notifier?.clockSkew?.({ jobId: job.id, job: job.name, now, skews: plan.skews });
      return report;
    }

    const targets: Array<{ row: RunRow; reasons: PruneReason[]; parts: RunPartRow[] }> = [];
    for (const { run, reasons } of plan.prune) {
      const parts = runs.liveParts(run.id);
      // A failed run that left nothing behind needs no attention.
      if (parts.length === 0 && run.row.status !== "success") continue;
      targets.push({ row: run.row, reasons, parts });
    }
    if (targets.length === 0) return report;

    if (this.deps.beforeDelete) {
      try {
        await this.deps.beforeDelete(job.id, targets.map((t) => t.row.id));
      } catch (err) {
        const message = `catalog: ${(err as Error).message}`;
        log.warn({ job: job.name, err: (err as Error).message }, "the chat's catalog could not be updated; nothing is pruned until it can");
        for (const t of targets) report.retry.push({ runId: t.row.id, error: message });
        return report;
      }
      // Publishing read the chat's other catalogs: a run another installation has taken over
      // meanwhile (`adopt --take-over`) is no longer this installation's to delete.
      const stillOwn = (t: (typeof targets)[number]) => runs.installationId == null || isOwnRun(runs.get(t.row.id) ?? t.row, runs.installationId);
      targets.splice(0, targets.length, ...targets.filter(stillOwn));
      if (targets.length === 0) return report;
    }

    // Marked before anything is deleted: if this is cut short (killed, a destination fails), the
    // watchdog must not report the copies deleted on purpose as lost; the next pruning finishes it.
    for (const t of targets) runs.update(t.row.id, { expiringAt: now });
    const outcome = await this.deleteParts(targets.flatMap((t) => t.parts), now, job.name, signal);
    for (const t of targets) {
      const failure = t.parts.map((p) => outcome.failed.get(p.id)).find((e) => e !== undefined);
      if (failure !== undefined) {
        report.retry.push({ runId: t.row.id, error: failure });
        continue;
      }
      runs.update(t.row.id, { expiredAt: now });
      const deleted = t.parts.filter((p) => outcome.deleted.has(p.id)).length;
      const left = t.parts.length - deleted;
      report.expired.push({ runId: t.row.id, reasons: t.reasons, deleted, left });
      log.info({ job: job.name, run: t.row.id, reasons: t.reasons, deleted, left }, left > 0 ? "run expired; some parts could not be deleted and stay at their destination" : "run expired");
    }
    return report;
  }

  /** Deletes parts grouped by destination; says which were deleted and which failed (by part id). */
  private async deleteParts(parts: RunPartRow[], now: Date, jobName: string, signal?: AbortSignal): Promise<{ deleted: Set<number>; failed: Map<number, string> }> {
    const deleted = new Set<number>();
    const failed = new Map<number, string>();
    const byDestination = new Map<number | null, RunPartRow[]>();
    for (const p of parts) {
      const list = byDestination.get(p.destinationId) ?? [];
      list.push(p);
      byDestination.set(p.destinationId, list);
    }
    const batchSize = this.deps.batchSize ?? 100;

    for (const [destinationId, group] of byDestination) {
      let destination: Destination | null = null;
      try {
        destination = destinationId == null ? null : await this.deps.destinationFor(destinationId);
      } catch (err) {
        for (const p of group) failed.set(p.id, `destination #${destinationId}: ${(err as Error).message}`);
        continue;
      }
      if (!destination) {
        this.deps.log.warn({ job: jobName, destinationId, parts: group.length }, "parts of an expired run stay behind: their destination no longer exists");
        continue;
      }
      try {
        // A folder whose disk is not mounted holds none of the parts: deleting there would only
        // record them deleted while they stay on the disk. Tried again after the next run.
        await destination.confirmStore?.(this.deps.runs.newestManifestsAt(destinationId!, RECORDED_COPIES_TO_CONFIRM), signal);
      } catch (err) {
        if (signal?.aborted) throw err;
        this.deps.log.warn({ job: jobName, destination: destination.name, err: (err as Error).message }, "could not delete parts of expired runs; will try again after the next run");
        for (const p of group) failed.set(p.id, `${destination.name}: ${(err as Error).message}`);
        continue;
      }
      for (let i = 0; i < group.length; i += batchSize) {
        const batch = group.slice(i, i + batchSize);
        const locations = batch.map(locationOf);
        try {
          const { refused } = await destination.delete(locations, signal);
          const refusedKeys = new Set(refused.map(locationKey));
          batch.forEach((p, j) => {
            if (refused.includes(locations[j]!) || refusedKeys.has(locationKey(locations[j]!))) return;
            this.deps.runs.markPartDeleted(p.id, now);
            deleted.add(p.id);
          });
          if (refused.length > 0) {
            this.deps.log.info({ job: jobName, destination: destination.name, refused: refused.length }, "the destination refused to delete some parts; they stay recorded");
          }
        } catch (err) {
          const message = `${destination.name}: ${(err as Error).message}`;
          this.deps.log.warn({ job: jobName, destination: destination.name, err: (err as Error).message }, "could not delete parts of expired runs; will try again after the next run");
          for (const p of batch) failed.set(p.id, message);
        }
      }
    }
    return { deleted, failed };
  }
}

function locationKey(l: StoredLocation): string {
  return `${l.locator}\u0000${l.messageId ?? ""}`;
}
