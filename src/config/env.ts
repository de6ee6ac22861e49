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
  if (masterKey.length < 16) throw new ConfigError("MASTER_KEY", "is too short: use at least 16 characters");

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

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
