import { readFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_LOCALE, LOCALES_DIR, type TranslateParams } from "../i18n.js";
import type { RunResult } from "../engine/backup-runner.js";
import { lazyRequire } from "../lazy.js";

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
  const { FluentBundle, FluentResource } = lazyRequire("@fluent/bundle") as typeof import("@fluent/bundle");
  const load = (lang: string) => {
    const bundle = new FluentBundle(lang, { useIsolating: false });
    bundle.addResource(new FluentResource(readFileSync(path.join(LOCALES_DIR, lang, "cli.ftl"), "utf8")));
    return bundle;
  };
  const primary = load(locale);
  const fallback = locale === DEFAULT_LOCALE ? primary : load(DEFAULT_LOCALE);
  return (key, params) => {
    const bundle = primary.hasMessage(key) ? primary : fallback;
    const pattern = bundle.getMessage(key)?.value;
    if (!pattern) return key;
    return bundle.formatPattern(pattern, params);
  };
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
