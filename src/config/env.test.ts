import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, ENV_VARS, loadConfig } from "./env.js";

const KEY = "Zq8c1X4vN7rT2mKp9LsW3eYb6HdJ0fGa5uQi";
const base = { ADMIN_IDS: "111, 222", MASTER_KEY: KEY };

const refusal = (env: NodeJS.ProcessEnv, options = {}): string => {
  try {
    loadConfig(env, options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("accepted");
};

describe("the environment (one schema)", () => {
  it("fills every default and reads every variable", () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({
      adminIds: [111, 222],
      botToken: undefined,
      dataDir: path.resolve("./data"),
      telegramApiRoot: "https://api.telegram.org",
      telegramSelfHosted: false,
      timezone: "UTC",
      logLevel: "info",
      metricsPort: undefined,
      metricsHost: "127.0.0.1",
      concurrency: 1,
      missedRunGraceMs: 3_600_000,
      watchdog: { dailyBudgetBytes: 1024 ** 3, windowDays: 30 },
    });
    const d = loadConfig({
      ...base,
      BOT_TOKEN: " 123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ ",
      DATA_DIR: "/srv/tb",
      TELEGRAM_API_ROOT: "http://bot-api:8081/",
      TZ: "Europe/Berlin",
      LOG_LEVEL: "debug",
      METRICS_PORT: "9100",
      SCHEDULER_CONCURRENCY: "4",
      MISSED_RUN_GRACE_MINUTES: "0",
      WATCHDOG_DAILY_BUDGET: "500MiB",
      DOCKER_HOST: "unix:///run/docker.sock",
    });
    expect(d).toMatchObject({
      botToken: "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ",
      dbPath: "/srv/tb/tele-backup.sqlite",
      telegramApiRoot: "http://bot-api:8081",
      telegramSelfHosted: true,
      timezone: "Europe/Berlin",
      logLevel: "debug",
      metricsPort: 9100,
      concurrency: 4,
      missedRunGraceMs: 0,
      watchdog: { dailyBudgetBytes: 500 * 1024 * 1024, windowDays: 30 },
      dockerHost: "unix:///run/docker.sock",
    });
    expect(ENV_VARS).toContain("WATCHDOG_WINDOW_DAYS");
  });

  it("names the first bad variable with a clear reason", () => {
    expect(refusal({ ...base }, { requireBot: true })).toBe("BOT_TOKEN: is required to run the bot (get one from @BotFather)");
    expect(refusal({ ...base, BOT_TOKEN: "nope" })).toBe("BOT_TOKEN: does not look like a bot token (expected <digits>:<letters>)");
    expect(refusal({ MASTER_KEY: KEY })).toBe("ADMIN_IDS: is required: comma-separated numeric Telegram user ids");
    expect(refusal({ ...base, ADMIN_IDS: "111,bob" })).toBe('ADMIN_IDS: "bob" is not a numeric Telegram user id');
    expect(refusal({ ADMIN_IDS: "1" })).toBe("MASTER_KEY: is required: a long random secret that encrypts stored credentials");
    expect(refusal({ ADMIN_IDS: "1", MASTER_KEY: "short" })).toMatch(/^MASTER_KEY: is too short: .*; make one with: openssl rand -base64 32$/);
    expect(refusal({ ...base, TELEGRAM_API_ROOT: "ftp://x" })).toBe('TELEGRAM_API_ROOT: "ftp://x" is not an http(s) URL');
    expect(refusal({ ...base, TELEGRAM_SELF_HOSTED: "maybe" })).toBe("TELEGRAM_SELF_HOSTED: must be auto, true or false");
    const proxy = refusal({ ...base, TELEGRAM_PROXY: "ftp://user:s3cret@host" });
    expect(proxy).toMatch(/^TELEGRAM_PROXY: must be a proxy URL/);
    expect(proxy).not.toContain("s3cret");
    expect(refusal({ ...base, TZ: "Mars/Olympus" })).toBe('TZ: "Mars/Olympus" is not a known time zone');
    expect(refusal({ ...base, LOG_LEVEL: "loud" })).toBe("LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent");
    expect(refusal({ ...base, SCHEDULER_CONCURRENCY: "17" })).toBe("SCHEDULER_CONCURRENCY: must be a whole number from 1 to 16");
    expect(refusal({ ...base, METRICS_PORT: "http" })).toBe("METRICS_PORT: must be a whole number from 1 to 65535");
    expect(refusal({ ...base, WATCHDOG_DAILY_BUDGET: "lots" })).toBe('WATCHDOG_DAILY_BUDGET: "lots" is not a size: write e.g. 1GiB, 500MiB or 0 (off)');
  });
});
