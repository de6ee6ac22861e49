import path from "node:path";

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
}

/** Every variable the program reads. The README's table must list exactly these. */
export const ENV_VARS = [
  "BOT_TOKEN",
  "ADMIN_IDS",
  "MASTER_KEY",
  "DATA_DIR",
  "TELEGRAM_API_ROOT",
  "TELEGRAM_SELF_HOSTED",
  "TZ",
  "DOCKER_HOST",
  "LOG_LEVEL",
  "HELPER_IMAGE",
  "METRICS_PORT",
  "METRICS_HOST",
  "SCHEDULER_CONCURRENCY",
  "MISSED_RUN_GRACE_MINUTES",
] as const;

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export interface LoadOptions {
  /** `run` needs the bot token; CLI commands such as `backup` do not. */
  requireBot?: boolean;
}

export function loadConfig(env: NodeJS.ProcessEnv, options: LoadOptions = {}): AppConfig {
  const botToken = env.BOT_TOKEN?.trim() || undefined;
  if (options.requireBot && !botToken) throw new ConfigError("BOT_TOKEN", "is required to run the bot (get one from @BotFather)");
  if (botToken && !/^\d+:[\w-]{20,}$/.test(botToken)) {
    throw new ConfigError("BOT_TOKEN", "does not look like a bot token (expected <digits>:<letters>)");
  }

  const adminRaw = env.ADMIN_IDS?.trim() ?? "";
  if (!adminRaw) throw new ConfigError("ADMIN_IDS", "is required: comma-separated numeric Telegram user ids");
  const adminIds = adminRaw.split(",").map((s) => s.trim()).filter(Boolean).map((s) => {
    if (!/^\d+$/.test(s)) throw new ConfigError("ADMIN_IDS", `"${s}" is not a numeric Telegram user id`);
    return Number(s);
  });

  const masterKey = env.MASTER_KEY ?? "";
  if (!masterKey) throw new ConfigError("MASTER_KEY", "is required: a long random secret that encrypts stored credentials");
  const weak = masterKeyWeakness(masterKey);
  if (weak) throw new ConfigError("MASTER_KEY", `${weak}; make one with: openssl rand -base64 32`);

  const dataDir = path.resolve(env.DATA_DIR?.trim() || "./data");

  const telegramApiRoot = (env.TELEGRAM_API_ROOT?.trim() || "https://api.telegram.org").replace(/\/+$/, "");
  try {
    const u = new URL(telegramApiRoot);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
  } catch {
    throw new ConfigError("TELEGRAM_API_ROOT", `"${telegramApiRoot}" is not an http(s) URL`);
  }

  const selfHostedRaw = env.TELEGRAM_SELF_HOSTED?.trim().toLowerCase() || "auto";
  if (!["auto", "true", "false"].includes(selfHostedRaw)) throw new ConfigError("TELEGRAM_SELF_HOSTED", "must be auto, true or false");
  const telegramSelfHosted = selfHostedRaw === "auto" ? new URL(telegramApiRoot).host !== "api.telegram.org" : selfHostedRaw === "true";

  const timezone = env.TZ?.trim() || "UTC";
  // "UTC" needs no check, and skipping it spares every CLI command Intl's start-up cost.
  if (timezone !== "UTC" && !isValidTimeZone(timezone)) throw new ConfigError("TZ", `"${timezone}" is not a known time zone`);

  const logLevel = env.LOG_LEVEL?.trim() || "info";
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError("LOG_LEVEL", `must be one of ${LOG_LEVELS.join(", ")}`);

  const int = (name: string, fallback: number | undefined, min: number, max: number): number | undefined => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new ConfigError(name, `must be a whole number from ${min} to ${max}`);
    return Number(raw);
  };
  const metricsPort = int("METRICS_PORT", undefined, 1, 65535);
  const concurrency = int("SCHEDULER_CONCURRENCY", 1, 1, 16)!;
  const missedRunGraceMinutes = int("MISSED_RUN_GRACE_MINUTES", 60, 0, 7 * 24 * 60)!;

  return {
    metricsPort,
    metricsHost: env.METRICS_HOST?.trim() || "127.0.0.1",
    concurrency,
    missedRunGraceMs: missedRunGraceMinutes * 60_000,
    botToken,
    adminIds,
    masterKey,
    dataDir,
    dbPath: path.join(dataDir, "tele-backup.sqlite"),
    spoolDir: path.join(dataDir, "spool"),
    telegramApiRoot,
    telegramSelfHosted,
    timezone,
    dockerHost: env.DOCKER_HOST?.trim() || undefined,
    logLevel,
    helperImage: env.HELPER_IMAGE?.trim() || undefined,
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

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
