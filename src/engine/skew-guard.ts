import type { SettingsRepo } from "../repos/settings.repo.js";
import { skewKey, type ClockSkew } from "./retention.js";

/** Settings key of a job's clock-skew state (JSON, `SkewState`). */
export const skewStateKey = (jobId: number) => `retention.clock-skew.${jobId}`;

/** A skewed run as remembered between prunes (dates as ISO 8601). */
export interface PendingSkew {
  runId: number;
  kind: ClockSkew["kind"];
  startedAt: string;
  byMs: number;
  referenceRunId?: number;
}

interface SkewState {
  /** Clock errors seen at the last prune that no admin has confirmed: pruning is paused while any is left. */
  pending: PendingSkew[];
  /** Skew keys (`skewKey`) an admin confirmed; they no longer pause pruning. */
  acknowledged: string[];
  /** Set when the admins were told about the current episode; cleared when it is over. */
  alertedAt?: string;
}

/**
 * Remembers, per job, the clock errors that pause its pruning, so the admins get one alert per
 * episode (not one per run), `/status` can show the pause, and an admin's "the clock is right"
 * lets pruning resume. Lives in the settings table: a restart neither re-alerts nor forgets.
 */
export class SkewGuard {
  constructor(private readonly settings: Pick<SettingsRepo, "get" | "set">) {}

  /** Skew keys an admin has confirmed for this job. */
  acknowledged(jobId: number): Set<string> {
    return new Set(this.read(jobId).acknowledged);
  }

  /** The unconfirmed clock errors that pause this job's pruning (empty: not paused). */
  pending(jobId: number): PendingSkew[] {
    return this.read(jobId).pending;
  }

  /**
   * Records what the last prune found (`skews`: the unconfirmed ones). Returns true when the
   * admins must be alerted now: the first prune of an episode. An episode ends when a prune
   * finds no unconfirmed clock error.
   */
  observe(jobId: number, skews: readonly ClockSkew[], now: Date): boolean {
    const state = this.read(jobId);
    const pending = skews.map(
      (s): PendingSkew => ({
        runId: s.runId,
        kind: s.kind,
        startedAt: s.startedAt.toISOString(),
        byMs: s.byMs,
        ...(s.reference ? { referenceRunId: s.reference.runId } : {}),
      }),
    );
    const alert = pending.length > 0 && !state.alertedAt;
    const next: SkewState = { pending, acknowledged: state.acknowledged };
    if (pending.length > 0) next.alertedAt = state.alertedAt ?? now.toISOString();
    this.write(jobId, next, state);
    return alert;
  }

  /** An admin confirmed the clock is right: the pending errors no longer pause pruning. Returns how many were confirmed. */
  acknowledge(jobId: number): number {
    const state = this.read(jobId);
    const keys = state.pending.map(skewKey);
    const acknowledged = [...new Set([...state.acknowledged, ...keys])];
    this.write(jobId, { pending: [], acknowledged }, state);
    return keys.length;
  }

  private read(jobId: number): SkewState {
    const raw = this.settings.get(skewStateKey(jobId));
    if (!raw) return { pending: [], acknowledged: [] };
    try {
      const parsed = JSON.parse(raw) as Partial<SkewState>;
      return {
        pending: Array.isArray(parsed.pending) ? parsed.pending : [],
        acknowledged: Array.isArray(parsed.acknowledged) ? parsed.acknowledged : [],
        ...(typeof parsed.alertedAt === "string" ? { alertedAt: parsed.alertedAt } : {}),
      };
    } catch {
      return { pending: [], acknowledged: [] };
    }
  }

  private write(jobId: number, next: SkewState, before: SkewState): void {
    if (JSON.stringify(next) !== JSON.stringify(before)) this.settings.set(skewStateKey(jobId), JSON.stringify(next));
  }
}
