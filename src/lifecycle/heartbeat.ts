import type { SettingsRepo } from "../repos/settings.repo.js";

/** Settings key holding the scheduler's last tick (ISO 8601). */
export const HEARTBEAT_KEY = "scheduler.heartbeat";

/** How old the heartbeat may be for `health` to pass: several ticks (10 s each by default) may be slow or skipped. */
export const DEFAULT_HEARTBEAT_MAX_AGE_MS = 120_000;

type SettingsStore = Pick<SettingsRepo, "get" | "set">;

/**
 * The scheduler's proof of life, kept in the settings table so another process
 * (`tele-backup health`, run by the Docker HEALTHCHECK) can read it from the same database.
 */
export class Heartbeat {
  constructor(private readonly settings: SettingsStore) {}

  beat(now: Date): void {
    this.settings.set(HEARTBEAT_KEY, now.toISOString());
  }

  /** The last beat, or null if there was none (or it is unreadable). */
  last(): Date | null {
    return lastHeartbeat(this.settings);
  }
}

export function lastHeartbeat(settings: Pick<SettingsRepo, "get">): Date | null {
  const raw = settings.get(HEARTBEAT_KEY);
  if (!raw) return null;
  const at = new Date(raw);
  return Number.isNaN(at.getTime()) ? null : at;
}

/**
 * True while the heartbeat is at most `maxAgeMs` old. A heartbeat from the future (clock set
 * back) counts as fresh only within the same tolerance.
 */
export function isHealthy(settings: Pick<SettingsRepo, "get">, now: Date, maxAgeMs: number = DEFAULT_HEARTBEAT_MAX_AGE_MS): boolean {
  const last = lastHeartbeat(settings);
  if (!last) return false;
  return Math.abs(now.getTime() - last.getTime()) <= maxAgeMs;
}
