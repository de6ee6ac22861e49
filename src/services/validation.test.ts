import { generateIdentity, identityToRecipient } from "age-encryption";
import { describe, expect, it } from "vitest";
import {
  checkAgeRecipient,
  checkBotToken,
  checkCron,
  checkName,
  checkPort,
  checkSecret,
  checkTimezone,
  formatSize,
  MIB,
  parseChatId,
  parsePartSize,
  parseSize,
} from "./validation.js";
import { retentionSchema } from "../domain/job.schema.js";
import { check } from "../shared/schema.js";

describe("validation", () => {
  it("accepts names of lowercase letters, digits, dot, dash and underscore", () => {
    for (const ok of ["app-db", "a", "0", "shop.db_2", "x".repeat(63)]) expect(checkName(ok)).toBeUndefined();
    for (const bad of ["App", "-x", ".x", "a b", "x".repeat(64), "é"]) expect(checkName(bad)).toMatch(/not a valid name/);
    expect(checkName(undefined)).toBe("is required");
    expect(checkName(12)).toMatch(/must be a text name/);
  });

  it("checks cron expressions with 5 or 6 fields", () => {
    expect(checkCron("0 3 * * *")).toBeUndefined();
    expect(checkCron("*/15 * * * MON-FRI")).toBeUndefined();
    expect(checkCron("30 0 3 * * *")).toBeUndefined();
    expect(checkCron("0 3 * * *", "Europe/Berlin")).toBeUndefined();
    expect(checkCron("61 * * * *")).toMatch(/^"61 \* \* \* \*" is not a valid cron expression/);
    expect(checkCron("* * * *")).toMatch(/expected 5 fields/);
    expect(checkCron("0 0 3 * * * *")).toMatch(/expected 5 fields/);
    expect(checkCron("0 3 31 2 *")).toMatch(/not a valid cron expression/);
    expect(checkCron(5)).toMatch(/in quotes/);
  });

  it("checks IANA time zones", () => {
    expect(checkTimezone("Europe/Berlin")).toBeUndefined();
    expect(checkTimezone("UTC")).toBeUndefined();
    expect(checkTimezone("Mars/Olympus")).toMatch(/not a known IANA time zone/);
    expect(checkTimezone("")).toMatch(/IANA/);
  });

  it("parses and formats sizes", () => {
    expect(parseSize("19MiB")).toEqual({ value: 19 * MIB });
    expect(parseSize("50MB")).toEqual({ value: 50_000_000 });
    expect(parseSize("1G")).toEqual({ value: 1024 * MIB });
    expect(parseSize("512 KiB")).toEqual({ value: 512 * 1024 });
    expect(parseSize("1048576")).toEqual({ value: MIB });
    expect(parseSize(1048576)).toEqual({ value: MIB });
    expect(parseSize("1.5MiB")).toEqual({ value: 1.5 * MIB });
    expect(parseSize("19 parsecs")).toHaveProperty("error");
    expect(parseSize(-1)).toHaveProperty("error");
    expect(parseSize("0.5B")).toHaveProperty("error");
    expect(formatSize(19 * MIB)).toBe("19MiB");
    expect(formatSize(50_000_000)).toBe("50MB");
    expect(formatSize(2 * 1024 * MIB)).toBe("2GiB");
    expect(formatSize(1536)).toBe(1536);
    for (const n of [19 * MIB, 50_000_000, 1536, 12345, 3 * 1024]) expect(parseSize(formatSize(n))).toEqual({ value: n });
  });

  it("bounds part sizes to 1MiB..2000MiB", () => {
    expect(parsePartSize("1MiB")).toEqual({ value: MIB });
    expect(parsePartSize("2000MiB")).toEqual({ value: 2000 * MIB });
    expect(parsePartSize("1000KiB")).toEqual({ error: 'must be between 1MiB and 2000MiB, got "1000KiB"' });
    expect(parsePartSize("2001MiB")).toHaveProperty("error");
  });

  it("validates age recipients with the age library", async () => {
    const recipient = await identityToRecipient(await generateIdentity());
    expect(checkAgeRecipient(recipient)).toBeUndefined();
    expect(checkAgeRecipient("age1...")).toMatch(/not a valid age recipient/);
    expect(checkAgeRecipient(recipient.slice(0, -1) + (recipient.endsWith("q") ? "p" : "q"))).toMatch(/not a valid age recipient/);
    expect(checkAgeRecipient("AGE-SECRET-KEY-1XYZ")).toMatch(/SECRET key/);
    expect(checkAgeRecipient("ssh-ed25519 AAAA")).toMatch(/not a valid age recipient/);
  });

  it("checks secrets without echoing them", () => {
    expect(checkSecret("hunter2")).toBeUndefined();
    expect(checkSecret("env:DB_PASSWORD")).toBeUndefined();
    expect(checkSecret("file:/run/secrets/db")).toBeUndefined();
    expect(checkSecret("env:not-valid")).toMatch(/not a valid reference/);
    expect(checkSecret("file:relative")).toMatch(/not a valid reference/);
    expect(checkSecret("")).toMatch(/empty/);
    expect(checkSecret("", { allowEmpty: true })).toBeUndefined();
    expect(checkBotToken("123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ")).toBeUndefined();
    expect(checkBotToken("env:OTHER_BOT_TOKEN")).toBeUndefined();
    const err = checkBotToken("not-a-token-sekrit");
    expect(err).toMatch(/does not look like a bot token/);
    expect(err).not.toContain("sekrit");
  });

  it("checks ports, chat ids and retention", () => {
    expect(checkPort(5432)).toBeUndefined();
    expect(checkPort(0)).toMatch(/between 1 and 65535/);
    expect(checkPort("5432")).toMatch(/between 1 and 65535/);
    expect(parseChatId("-1001234567890")).toEqual({ value: "-1001234567890" });
    expect(parseChatId(-1001234567890)).toEqual({ value: "-1001234567890" });
    expect(parseChatId("@my_channel")).toEqual({ value: "@my_channel" });
    expect(parseChatId("my channel")).toHaveProperty("error");

    expect(check(retentionSchema, { keep_last: 3, keep_daily: 0 })).toEqual({ ok: true, value: { keep_last: 3, keep_daily: 0 } });
    const refused = check(retentionSchema, { keep_last: -1, keep_hourly: 2, keep_weekly: 1.5 }, "jobs[0].retention");
    expect(refused.ok ? [] : refused.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "jobs[0].retention.keep_hourly: unknown key for retention (allowed: keep_last, keep_daily, keep_weekly, keep_monthly, max_age_days)",
      "jobs[0].retention.keep_last: must be a whole number of 0 or more, got -1",
      "jobs[0].retention.keep_weekly: must be a whole number of 0 or more, got 1.5",
    ]);
  });
});
