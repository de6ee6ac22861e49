import { DEFAULT_LOCALE, fluentBundle, formatFrom, type TranslateParams } from "../i18n.js";
import type { RunResult } from "../engine/backup-runner.js";

export type CliText = (key: string, params?: TranslateParams) => string;

/** The CLI's language: Russian when LC_ALL/LC_MESSAGES/LANG ask for it, English otherwise. */
export function cliLocale(env: NodeJS.ProcessEnv): string {
  const lang = env.LC_ALL || env.LC_MESSAGES || env.LANG || "";
  return /^ru([_.-]|$)/i.test(lang) ? "ru" : DEFAULT_LOCALE;
}

/**
 * Messages of `locales/<locale>/cli.ftl`. Only that one file is read, with Fluent's core
 * (not the bot's i18n plugin): a CLI command should start fast.
 */
export function cliMessages(locale: string): CliText {
  const primary = fluentBundle(locale, ["cli.ftl"]);
  const bundles = locale === DEFAULT_LOCALE ? [primary] : [primary, fluentBundle(DEFAULT_LOCALE, ["cli.ftl"])];
  return (key, params) => formatFrom(bundles, key, params) ?? key;
}

/**
 * What `backup` reports (the `outcome` field of `backup --json`): "verified" — stored and every
 * part read back; "unverified" — stored, but not every part could be read back, so this tool
 * cannot promise to restore it (⚠️, never ✅); "failed" / "interrupted" — no backup.
 */
export type BackupOutcome = "verified" | "unverified" | "failed" | "interrupted" | "cancelled";

export function backupOutcome(result: Pick<RunResult, "status" | "verified">): BackupOutcome {
  if (result.status !== "success") return result.status;
  return result.verified ? "verified" : "unverified";
}

/** Exit status of `backup`: 0 verified, 2 stored but not verified, 1 failed or interrupted. */
export const BACKUP_EXIT: Record<BackupOutcome, number> = { verified: 0, unverified: 2, failed: 1, interrupted: 1, cancelled: 1 };
