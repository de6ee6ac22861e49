import type { Logger } from "../logger.js";
import type { SettingsRepo } from "../repos/settings.repo.js";

/**
 * A periodic task's last run, kept in a setting as epoch milliseconds: one recorded in the
 * future (the clock was ahead then, and has been set back since) says nothing about when the task
 * last ran. It is reset to `now`, so the period counts from now instead of from a date that may
 * be months away; true when that happened.
 */
export function resetIfFuture(settings: Pick<SettingsRepo, "get" | "set">, key: string, now: Date, log: Logger, what: string): boolean {
  const recorded = Number(settings.get(key) ?? 0);
  if (recorded <= now.getTime()) return false;
  settings.set(key, String(now.getTime()));
  log.warn({ recorded: new Date(recorded).toISOString() }, `${what}: the last one is recorded in the future (the clock was set back); the period counts from now`);
  return true;
}
