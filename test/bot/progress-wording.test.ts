import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TranslateFunction } from "@grammyjs/i18n";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backupProgressText, backupResultText } from "../../src/bot/progress.js";
import { createI18n, translator } from "../../src/i18n.js";
import { ADMIN_ID, startHarness, type Harness } from "./harness.js";

/**
 * What a running backup's progress message says: "part i of ~n" (estimated from the job's
 * previous run), the bytes the destinations really stored, and a pause Telegram imposed (429).
 */
describe("backup progress wording", () => {
  let h: Harness;
  let channel: number;

  beforeAll(async () => {
    h = await startHarness({ withNotifier: true });
    channel = h.fake.createChannel({ title: "Backups" }).id;
    const dir = path.join(h.ws.dir, "blob");
    mkdirSync(dir);
    // Random bytes do not compress: three 1 MiB parts.
    writeFileSync(path.join(dir, "blob.bin"), randomBytes(2.5 * 1024 * 1024));
    h.app.sources.create({ name: "blob", kind: "directory", path: dir });
    h.app.destinations.create({ name: "channel", kind: "telegram", chat_id: String(channel) });
    h.app.jobs.create({ name: "blob-job", source: "blob", destinations: ["channel"], schedule: "0 3 * * *", compression: "none", part_size: "1MiB" });
    const first = await h.app.runner.run(await h.app.jobs.resolve("blob-job"), { trigger: "manual" });
    expect(first.status).toBe("success");
    expect(first.parts).toBe(3);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it("shows part i of ~n, the bytes really sent, and Telegram's wait while a part is held back by a 429", async () => {
    // Part 1 goes through; part 2 is refused once with "retry after 3".
    h.fake.failNext("sendDocument", { kind: "pass" });
    h.fake.failNext("sendDocument", { kind: "429", retryAfter: 3 });
    await h.say("/runnow blob-job");
    const waiting = await h.waitForText((t) => t.includes("Telegram asked to wait"), ADMIN_ID, 30_000);
    expect(waiting.text).toMatch(/^⏳ Backup of blob-job: uploading part 2 of ~3 · 1\.0 MiB sent \(\d\.\d MiB read\)\n⏸ Telegram asked to wait 3 s before the next try\.$/);
    const done = await h.waitForText((t) => t.startsWith("✅ Backup done: blob-job"), ADMIN_ID, 60_000);
    expect(done.message_id).toBe(waiting.message_id);
  }, 90_000);

  it("says nothing was sent before anything was, in Russian too, and drops the ~ once the count is known", () => {
    const i18n = createI18n();
    const tr = translator(i18n);
    const t = (locale: string): TranslateFunction => ((key: string, params?: Record<string, string | number>) => tr(locale, key, params)) as TranslateFunction;
    const base = { runId: 1, phase: "uploading" as const, rawBytes: 2 * 1024 * 1024, payloadBytes: 2 * 1024 * 1024, partsUploaded: 0, currentPart: 1, sentBytes: 0 };
    // Units and decimals in the reader's language (issue 13, item 6).
    expect(backupProgressText(t("ru"), "app", { ...base, partsExpected: 3 }, "ru")).toBe("⏳ Копия app: отправка части 1 из ~3 · отправлено 0 Б (прочитано 2,0 МиБ)");
    expect(backupProgressText(t("ru"), "app", { ...base, currentPart: 2, partsUploaded: 1, sentBytes: 19 * 1024 * 1024, rawBytes: 40.5 * 1024 * 1024, partsExpected: 3 }, "ru")).toBe(
      "⏳ Копия app: отправка части 2 из ~3 · отправлено 19,0 МиБ (прочитано 40,5 МиБ)",
    );
    const failed = { runId: 7, status: "failed" as const, job: "app", fileName: "", rawSize: 0, payloadSize: 0, sha256: null, parts: 0, durationMs: 12_300, verified: false, error: "x" };
    expect(backupResultText(t("ru"), failed, "ru")).toMatch(/^❌ Копия НЕ УДАЛАСЬ: app \(запуск #7, .*12,3 с\)/);
    expect(backupResultText(t("en"), failed, "en")).toMatch(/^❌ Backup FAILED: app \(run #7, after 12\.3 s\)/);
    expect(backupProgressText(t("en"), "app", base)).toBe("⏳ Backup of app: uploading part 1 · 0 B sent (2.0 MiB read)");
    expect(backupProgressText(t("en"), "app", { ...base, currentPart: 3, partsUploaded: 2, sentBytes: 2 * 1024 * 1024, partsExpected: 3, partsExact: true })).toBe(
      "⏳ Backup of app: uploading part 3 of 3 · 2.0 MiB sent (2.0 MiB read)",
    );
  });
});
