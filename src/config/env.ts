import path from "node:path";
import * as v from "valibot";
import { isHttpUrl } from "../shared/url.js";
import { dataDirFrom, dbFileIn } from "./paths.js";

/** Raised when the environment is unusable; `variable` names the culprit. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

export interface AppConfig {
  botToken: string | undefined;
  adminIds: number[];
  masterKey: string;
  dataDir: string;
  dbPath: string;
  spoolDir: string;
  telegramApiRoot: string;
  /** A self-hosted Bot API server: uploads up to 2000 MB, no download limit. */
  telegramSelfHosted: boolean;
  /** `TELEGRAM_PROXY`: every Bot API request (polling, uploads, downloads) goes through it; undefined = direct. */
  telegramProxy: string | undefined;
  timezone: string;
  dockerHost: string | undefined;
  logLevel: string;
  /** Image for the short-lived helper container that reads/writes volumes. */
  helperImage: string | undefined;
  /** Port of the Prometheus endpoint; undefined = off. */
  metricsPort: number | undefined;
  /** Address the metrics endpoint binds to (default 127.0.0.1: it has no authentication). */
  metricsHost: string;
  /** How many backups may run at once. */
  concurrency: number;
  /** A scheduled run missed while the process was down is made up at start-up when at most this old. */
  missedRunGraceMs: number;
  /** Channel watchdog (src/application/watchdog.ts): bytes one daily pass may download (0: off), and the re-check window. */
  watchdog: { dailyBudgetBytes: number; windowDays: number };
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
const BOT_TOKEN = /^\d+:[\w-]{20,}$/;
const WATCHDOG_BUDGET = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB|TB|TiB)?$/i;

/** A variable as text, trimmed; unset or blank gives `fallback`. */
const text = (fallback = "") => v.pipe(v.optional(v.string(), ""), v.transform((s) => s.trim() || fallback));

/** A whole number from `min` to `max`; unset gives `fallback`. */
const int = <F extends number | undefined>(fallback: F, min: number, max: number) =>
  v.pipe(
    text(),
    v.check((s) => s === "" || (/^\d+$/.test(s) && Number(s) >= min && Number(s) <= max), `must be a whole number from ${min} to ${max}`),
    v.transform((s) => (s === "" ? fallback : Number(s))),
  );

/**
 * The environment, one schema: each variable's check and default, in the order they are
 * checked (the first bad one is reported). `ENV_VARS` and the README's table come from its keys.
 */
const ENV_SCHEMA = v.object({
  BOT_TOKEN: v.pipe(
    text(),
    v.check((s) => s === "" || BOT_TOKEN.test(s), "does not look like a bot token (expected <digits>:<letters>)"),
    v.transform((s) => s || undefined),
  ),
  ADMIN_IDS: v.pipe(
    text(),
    v.nonEmpty("is required: comma-separated numeric Telegram user ids"),
    v.transform((s) => s.split(",").map((id) => id.trim()).filter(Boolean)),
    v.rawCheck(({ dataset, addIssue }) => {
      const bad = dataset.typed ? dataset.value.find((id) => !/^\d+$/.test(id)) : undefined;
      if (bad !== undefined) addIssue({ message: `"${bad}" is not a numeric Telegram user id` });
    }),
    v.transform((ids) => ids.map(Number)),
  ),
  MASTER_KEY: v.pipe(
    v.optional(v.string(), ""),
    v.nonEmpty("is required: a long random secret that encrypts stored credentials"),
    v.rawCheck(({ dataset, addIssue }) => {
      const weak = dataset.typed ? masterKeyWeakness(dataset.value) : null;
      if (weak) addIssue({ message: `${weak}; make one with: openssl rand -base64 32` });
    }),
  ),
  DATA_DIR: v.pipe(v.optional(v.string(), ""), v.transform((s: string) => dataDirFrom(s))),
  TELEGRAM_API_ROOT: v.pipe(
    text("https://api.telegram.org"),
    v.transform((s) => s.replace(/\/+$/, "")),
    v.check(isHttpUrl, (issue) => `"${String(issue.input)}" is not an http(s) URL`),
  ),
  TELEGRAM_SELF_HOSTED: v.pipe(text("auto"), v.toLowerCase(), v.picklist(["auto", "true", "false"], "must be auto, true or false")),
  TELEGRAM_PROXY: v.pipe(
    text(),
    // the value is never echoed: it may hold a password
    v.check((s) => {
      if (s === "") return true;
      try {
        const u = new URL(s);
        return ["http:", "https:", "socks5:", "socks5h:"].includes(u.protocol) && u.hostname !== "";
      } catch {
        return false;
      }
    }, "must be a proxy URL: http://host:port, https://host:port or socks5://[user:password@]host:port"),
    v.transform((s) => s || undefined),
  ),
  // "UTC" needs no check, and skipping it spares every CLI command Intl's start-up cost.
  TZ: v.pipe(text("UTC"), v.check((s) => s === "UTC" || isValidTimeZone(s), (issue) => `"${String(issue.input)}" is not a known time zone`)),
  DOCKER_HOST: v.pipe(text(), v.transform((s) => s || undefined)),
  LOG_LEVEL: v.pipe(text("info"), v.picklist(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(", ")}`)),
  HELPER_IMAGE: v.pipe(text(), v.transform((s) => s || undefined)),
  METRICS_PORT: int(undefined, 1, 65535),
  METRICS_HOST: text("127.0.0.1"),
  SCHEDULER_CONCURRENCY: int(1, 1, 16),
  MISSED_RUN_GRACE_MINUTES: int(60, 0, 7 * 24 * 60),
  WATCHDOG_DAILY_BUDGET: v.pipe(
    text(),
    v.check((s) => s === "" || WATCHDOG_BUDGET.test(s), (issue) => `"${String(issue.input)}" is not a size: write e.g. 1GiB, 500MiB or 0 (off)`),
    v.transform(watchdogBudget),
  ),
  WATCHDOG_WINDOW_DAYS: int(30, 1, 365),
});

/** Every variable the program reads. The README's table must list exactly these. */
export const ENV_VARS = Object.keys(ENV_SCHEMA.entries) as ReadonlyArray<keyof typeof ENV_SCHEMA.entries>;

export interface LoadOptions {
  /** `run` needs the bot token; CLI commands such as `backup` do not. */
  requireBot?: boolean;
}

/** @throws ConfigError naming the first bad variable (in the schema's order) */
export function loadConfig(env: NodeJS.ProcessEnv, options: LoadOptions = {}): AppConfig {
  if (options.requireBot && !env.BOT_TOKEN?.trim()) throw new ConfigError("BOT_TOKEN", "is required to run the bot (get one from @BotFather)");
  const result = v.safeParse(ENV_SCHEMA, env, { abortEarly: true });
  if (!result.success) {
    const first = result.issues[0];
    throw new ConfigError(String(first.path?.[0]?.key ?? "environment"), first.message);
  }
  const e = result.output;
  return {
    metricsPort: e.METRICS_PORT,
    metricsHost: e.METRICS_HOST,
    concurrency: e.SCHEDULER_CONCURRENCY,
    missedRunGraceMs: e.MISSED_RUN_GRACE_MINUTES * 60_000,
    watchdog: { dailyBudgetBytes: e.WATCHDOG_DAILY_BUDGET, windowDays: e.WATCHDOG_WINDOW_DAYS },
    botToken: e.BOT_TOKEN,
    adminIds: e.ADMIN_IDS,
    masterKey: e.MASTER_KEY,
    dataDir: e.DATA_DIR,
    dbPath: dbFileIn(e.DATA_DIR),
    spoolDir: path.join(e.DATA_DIR, "spool"),
    telegramApiRoot: e.TELEGRAM_API_ROOT,
    telegramSelfHosted: e.TELEGRAM_SELF_HOSTED === "auto" ? new URL(e.TELEGRAM_API_ROOT).host !== "api.telegram.org" : e.TELEGRAM_SELF_HOSTED === "true",
    telegramProxy: e.TELEGRAM_PROXY,
    timezone: e.TZ,
    dockerHost: e.DOCKER_HOST,
    logLevel: e.LOG_LEVEL,
    helperImage: e.HELPER_IMAGE,
  };
}

/** Characters a MASTER_KEY needs at least (`openssl rand -base64 32` gives 44). */
export const MASTER_KEY_MIN_LENGTH = 32;
/** Floor of the Shannon estimate below (32 random hex digits, 128 bits, estimate 91 at worst). */
const MASTER_KEY_MIN_BITS = 80;

/**
 * Why a MASTER_KEY is too weak to protect the database against offline guessing, or null.
 * The database file holds a key check, so a stolen copy can be attacked at leisure: the key
 * must carry about 128 bits on its own. Refused: fewer than 32 characters, a short unit
 * repeated (`passwordpassword…`), and strings whose characters carry too little information
 * (Shannon estimate over the key itself: 32 random hex digits always pass, `aaaa…b` does not).
 */
export function masterKeyWeakness(key: string): string | null {
  const chars = [...key];
  if (chars.length < MASTER_KEY_MIN_LENGTH) return `is too short: use at least ${MASTER_KEY_MIN_LENGTH} random characters`;
  for (let period = 1; period <= chars.length / 2; period++) {
    if (chars.every((c, i) => c === chars[i % period])) return "is a short text repeated: use a random key";
  }
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= n * Math.log2(n / chars.length);
  if (bits < MASTER_KEY_MIN_BITS) return "is too predictable (too few different characters): use a random key";
  return null;
}

/** WATCHDOG_DAILY_BUDGET: `1GiB` (default), `500MiB`, `200MB`, a number of bytes, or `0` (off). */
function watchdogBudget(raw: string): number {
  if (!raw) return 1024 ** 3;
  const m = WATCHDOG_BUDGET.exec(raw)!;
  const units: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3, tb: 1e12, tib: 1024 ** 4 };
  return Math.floor(Number(m[1]) * units[(m[2] ?? "b").toLowerCase()]!);
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
