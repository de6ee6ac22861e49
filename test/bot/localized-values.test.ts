import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TranslateFunction } from "@grammyjs/i18n";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunRow } from "../../src/db/schema.js";
import { restoreProgressText } from "../../src/bot/progress.js";
import { formatText, retentionText, runSummary } from "../../src/bot/views.js";
import { createI18n, translator } from "../../src/i18n.js";
import { englishWords } from "../helpers/english-words.js";
import { ADMIN_ID, startHarness, type Harness } from "./harness.js";

/**
 * Issue 13, item 6: sizes, durations and settings on the bot's screens in the reader's language
 * ("12,3 с", "19,0 МиБ", "последние 7", "Архив tar"), and a source's failure reason in a Russian
 * alert said in Russian.
 */

const tr = translator(createI18n());
const t = (locale: string): TranslateFunction => ((key: string, params?: Record<string, string | number>) => tr(locale, key, params)) as TranslateFunction;

describe("values in the reader's language", () => {
  it("a run line (/logs, the job card, the restore screens) gives size and duration in Russian units with a decimal comma", () => {
    const startedAt = new Date("2026-12-05T03:00:00Z");
    const run = { status: "success", verifiedAt: new Date(), startedAt, finishedAt: new Date(startedAt.getTime() + 12_300), payloadSize: 1536 } as RunRow;
    const ru = runSummary(t("ru"), run, "ru", "UTC");
    expect(ru).toContain("1,5 КиБ");
    expect(ru).toContain("12,3 с");
    expect(runSummary(t("en"), run, "en", "UTC")).toContain("1.5 KiB · 12.3 s");
    const restoring = restoreProgressText(t("ru"), "x.sqlite", "7", { phase: "downloading", bytes: 1536, total: 3 * 1024 * 1024 } as Parameters<typeof restoreProgressText>[3], "ru");
    expect(restoring).toContain("1,5 КиБ");
    expect(restoring).toContain("3,0 МиБ");
  });

  it("a retention rule and a dump format are said in words", () => {
    expect(retentionText(t("ru"), { keep_last: 7 }, "всё")).toBe("последние 7");
    expect(retentionText(t("ru"), { keep_last: 14, keep_weekly: 4, max_age_days: 21 }, "всё")).toBe("последние 14, по неделям: 4, не старше 21 дня");
    expect(retentionText(t("en"), { keep_daily: 7, max_age_days: 1 }, "everything")).toBe("7 daily, at most 1 day old");
    expect(retentionText(t("ru"), {}, "всё")).toBe("всё");
    expect(formatText(t("ru"), "tar")).toBe("Архив tar");
    expect(formatText(t("ru"), "rdb")).toBe("Снимок Redis (RDB)");
  });
});

describe("a Russian admin's screens and alerts (through the bot, fake Bot API)", () => {
  let h: Harness;
  let missing: string;

  beforeAll(async () => {
    h = await startHarness({ withNotifier: true });
    h.fake.createUser({ id: ADMIN_ID, firstName: "Ада", languageCode: "ru" });
    const dir = path.join(h.ws.dir, "notes");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "a.txt"), "x".repeat(5000));
    missing = path.join(h.ws.dir, "nowhere");
    h.app.sources.create({ name: "notes", kind: "directory", path: dir });
    h.app.sources.create({ name: "lost_dir", kind: "directory", path: missing });
    h.app.destinations.create({ name: "disk", kind: "local", path: h.backupsDir });
    h.app.jobs.create({ name: "notes-job", source: "notes", destinations: ["disk"], schedule: "0 3 * * *", compression: "none" });
    h.app.jobs.create({ name: "lost_job", source: "lost_dir", destinations: ["disk"], schedule: "0 3 * * *" });
    h.app.sources.create({ name: "lost_db", kind: "sqlite", path: `${missing}.sqlite` });
    h.app.jobs.create({ name: "lost_sqlite", source: "lost_db", destinations: ["disk"], schedule: "0 3 * * *" });
    expect((await h.app.runner.run(await h.app.jobs.resolve("notes-job"), { trigger: "manual" })).status).toBe("success");
    // Alerts speak the language the bot last saw the admin use: the admin has written to it once.
    await h.say("/start");
    await h.idle(); // /start answers with more than one message
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it("/logs and the job card show sizes in Russian units, the format and compression in words", async () => {
    const logs = await h.say("/logs");
    expect(logs.text).toMatch(/\d+,\d КиБ/);
    expect(logs.text).not.toMatch(/KiB|MiB|\d\.\d/);
    const list = await h.say("/jobs");
    await h.press(list, "notes-job");
    const card = h.current(list.message_id);
    expect(card.text).toContain("Формат: Архив tar · сжатие: без сжатия");
    expect(card.text).toContain("Размер части: 19,0 МиБ");
  }, 60_000);

  it("a directory that does not exist fails with a Russian reason in the alert", async () => {
    const result = await h.app.executor.execute("lost_job", "manual");
    expect(result.status).toBe("failed");
    const alert = await h.waitForText((text) => text.startsWith("❌") && text.includes("lost_job"));
    expect(alert.text).toContain(`Папки ${missing} не существует.`);
    expect(alert.text).not.toContain("does not exist");
    expect(englishWords(alert.text!)).toEqual([]);
  }, 60_000);

  it("so does a SQLite database that does not exist", async () => {
    expect((await h.app.executor.execute("lost_sqlite", "manual")).status).toBe("failed");
    const alert = await h.waitForText((text) => text.startsWith("❌") && text.includes("lost_sqlite"));
    expect(alert.text).toContain(`Базы SQLite ${missing}.sqlite не существует.`);
    expect(englishWords(alert.text!)).toEqual([]);
  }, 60_000);
});
