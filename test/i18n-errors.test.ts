import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Fluent } from "@grammyjs/i18n";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createI18n, LOCALES_DIR, translator } from "../src/i18n.js";
import { formatBytes, formatDuration } from "../src/shared/format.js";
import { check, nameSchema } from "../src/shared/schema.js";
import { renderTranslatable, type Translatable } from "../src/shared/translatable.js";
import { ADMIN_ID, startHarness, type Harness } from "./bot/harness.js";
import { englishWords, KEPT } from "./helpers/english-words.js";

/**
 * Issue 10, item 4: errors carry a key and parameters and the edge translates, so a Russian
 * admin reads failures entirely in Russian. Every error key is rendered in both languages and
 * the Russian text is scanned for English words; then the real paths (a failed run's alert, a
 * refused cron in /newjob, a failed restore) are driven through the bot against the fake Bot API.
 */

// ---------------------------------------------------------------- the scan

// `englishWords` and the names it keeps (`KEPT`) live in test/helpers/english-words.ts, shared with other Russian transcripts.

// ---------------------------------------------------------------- every error key, both languages

/**
 * Configuration keys as the YAML spells them (`retention`, `notify`, `hooks: before/after`):
 * validation messages name the key the user typed, so there they are code, not English.
 */
const YAML_KEYS = ["sources", "destinations", "jobs", "name", "kind", "host", "port", "database", "user", "password", "path", "volume", "schedule", "timezone", "format", "compression", "encryption", "recipients", "passphrase", "retention", "enabled", "notify", "success", "failure", "mirror", "hooks", "before", "after", "drill", "identity", "anomaly", "history", "source", "true", "false", "shell", "auto"];
const KEPT_IN: Record<string, ReadonlySet<string>> = { "validation.ftl": new Set([...KEPT, ...YAML_KEYS]) };

/** The error-bearing locale files (validation.ftl once the schemas speak in keys). */
const ERROR_FILES = ["errors.ftl", "restore.ftl", "format.ftl", "validation.ftl"].filter((f) => existsSync(path.join(LOCALES_DIR, "en", f)));

interface Message {
  key: string;
  body: string;
}

function messagesOf(file: string): Message[] {
  const out: Message[] = [];
  let current: Message | null = null;
  for (const line of readFileSync(path.join(LOCALES_DIR, "en", file), "utf8").split("\n")) {
    const head = /^([a-zA-Z][a-zA-Z0-9_-]*)\s*=(.*)$/.exec(line);
    if (head) out.push((current = { key: head[1]!, body: head[2]! }));
    else if (/^\S/.test(line)) current = null;
    else if (current) current.body += `\n${line}`;
  }
  return out;
}

/** Plural categories need numbers that fall in them (Russian: 1 one, 3 few, 5 many, 1.5 other). */
const PLURAL: Record<string, number> = { one: 1, few: 3, many: 5, other: 1.5 };

/**
 * Every way to fill a message: each variable a code-like sample (the scan skips it: a parameter
 * is a name, a path, a number), and once per variant of each selector.
 */
function fillings(body: string): Array<Record<string, string | number>> {
  const vars = [...new Set([...body.matchAll(/\$([a-zA-Z][\w-]*)/g)].map((m) => m[1]!))];
  // NUMBER($n, …) takes a number
  const numeric = new Set([...body.matchAll(/NUMBER\(\s*\$([a-zA-Z][\w-]*)/g)].map((m) => m[1]!));
  const base: Record<string, string | number> = Object.fromEntries(vars.map((v) => [v, numeric.has(v) ? 1.5 : `x_${v}`]));
  const out = [base];
  for (const m of body.matchAll(/\{\s*\$([a-zA-Z][\w-]*)\s*->([\s\S]*?)\}\s*\n?/g)) {
    for (const variant of m[2]!.matchAll(/\*?\[([\w-]+)\]/g)) {
      const key = variant[1]!;
      out.push({ ...base, [m[1]!]: key in PLURAL ? PLURAL[key]! : key });
    }
  }
  return out;
}

const translate = translator(createI18n());

describe("every error key in English and Russian", () => {
  it("finds the error files", () => {
    expect(ERROR_FILES).toEqual(expect.arrayContaining(["errors.ftl", "restore.ftl", "format.ftl"]));
  });

  for (const file of ERROR_FILES) {
    it(`${file}: every message renders in both languages, and the Russian holds no English word`, () => {
      const messages = messagesOf(file);
      expect(messages.length).toBeGreaterThan(3);
      const leftovers: string[] = [];
      for (const m of messages) {
        for (const params of fillings(m.body)) {
          const en = translate("en", m.key, params);
          const ru = translate("ru", m.key, params);
          expect(en, m.key).not.toBe(m.key);
          expect(ru, m.key).not.toBe(m.key);
          if (englishWords(en, KEPT_IN[file]).length > 0) expect(ru, `${m.key} is the English text`).not.toBe(en);
          const words = englishWords(ru, KEPT_IN[file]);
          if (words.length > 0) leftovers.push(`${m.key}: ${words.join(", ")} in «${ru}»`);
        }
      }
      expect(leftovers).toEqual([]);
    });
  }

  it("the scan catches a planted English-only message, and passes its Russian twin", () => {
    const fluent = new Fluent();
    fluent.addTranslationSync({ locales: "ru", source: "planted = upload failed: { $reason }\ntwin = ошибка отправки: { $reason }\n", isDefault: true, bundleOptions: { useIsolating: false } });
    const planted = fluent.translate("ru", "planted", { reason: "x_reason" });
    expect(englishWords(planted)).toEqual(["upload", "failed"]);
    expect(englishWords(fluent.translate("ru", "twin", { reason: "x_reason" }))).toEqual([]);
    // and a real key whose parameter is left English is caught too: the scan reads the whole text
    expect(englishWords(translate("ru", "run-failed-dump", { reason: "connection refused" }))).toEqual(["connection", "refused"]);
  });

  it("nested keys (a reason inside a frame, the action inside a destination error) are said in the same language", () => {
    const failure: Translatable = {
      key: "run-failed-upload",
      params: { reason: { key: "dest-error-server", params: { name: "tg_1", chat: "-1001", action: { key: "dest-action-send", params: { file: "app_20260101-030000.sql.gz.001" } }, detail: "HTTP 502" } } },
    };
    const ru = renderTranslatable(translate, "ru", failure);
    expect(ru).toBe("ошибка отправки: Ошибка сервера Telegram при попытке отправить app_20260101-030000.sql.gz.001 в чате -1001 (HTTP 502).");
    expect(renderTranslatable(translate, "en", failure)).toBe("upload failed: Telegram had a server error while trying to send app_20260101-030000.sql.gz.001 in chat -1001 (HTTP 502).");
  });

  it("a real validation issue (the configuration schemas) is said in Russian, its English kept for logs", () => {
    const r = check(nameSchema, "Bad Name!");
    if (r.ok) throw new Error("the name was accepted");
    const issue = r.issues[0]!;
    expect(issue.key).toBe("validation-name");
    const ru = renderTranslatable(translate, "ru", issue);
    expect(ru).toContain('"Bad Name!" — недопустимое имя');
    expect(englishWords(ru)).toEqual([]);
    expect(issue.message).toContain("Bad Name!");
    expect(englishWords(issue.message).length).toBeGreaterThan(0);
  });

  it("sizes and durations speak the locale (units, decimal comma); without one they stay English", () => {
    const ru = { locale: "ru", translate };
    expect(formatBytes(1536, ru)).toBe("1,5 КиБ");
    expect(formatBytes(5 * 1024 * 1024, ru)).toBe("5,0 МиБ");
    expect(formatBytes(900, ru)).toBe("900 Б");
    expect(formatDuration(125_000, ru)).toBe("2 мин 5 с");
    expect(formatDuration(12_300, ru)).toBe("12,3 с");
    expect(formatDuration(3_780_000, ru)).toBe("1 ч 3 мин");
    expect(formatBytes(1536, { locale: "en", translate })).toBe("1.5 KiB");
    expect(formatDuration(125_000, { locale: "en", translate })).toBe("2 min 5 s");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatDuration(125_000)).toBe("2 min 5 s");
  });
});

// ---------------------------------------------------------------- end to end, a Russian admin

describe("a Russian admin reads failures in Russian (through the bot, fake Bot API)", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ withNotifier: true });
    // The admin's Telegram app is in Russian; no /lang choice is made.
    h.fake.createUser({ id: ADMIN_ID, firstName: "Ада", languageCode: "ru" });
    h.app.sources.create({ name: "gone_db", kind: "postgres", host: "127.0.0.1", port: 1, database: "app_1", user: "postgres", password: "" });
    h.app.destinations.create({ name: "nas_1", kind: "local", path: h.backupsDir });
    h.app.jobs.create({ name: "gone_1", source: "gone_db", destinations: ["nas_1"], schedule: "0 3 * * *" });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  const botTexts = (after: number) => h.fake.messages(ADMIN_ID).filter((m) => m.message_id > after && m.sent_by_bot !== undefined).map((m) => m.text ?? m.caption ?? "");

  it("remembers the app language the admin writes with, and the failure alert of a run against an unreachable database is Russian", async () => {
    const hello = await h.say("/help");
    expect(englishWords(hello.text ?? "")).toEqual([]);
    expect(h.app.userLocale(ADMIN_ID)).toBe("ru");
    // a stranger's app language is not stored
    h.fake.createUser({ id: 222, firstName: "Mallory", languageCode: "ru" });
    const refused = h.fake.sendUserMessage(222, "/help");
    await h.fake.updateConfirmed(refused);
    await h.idle();
    expect(h.app.settings.get("lang-seen.222")).toBeNull();
    expect(h.app.settings.get(`lang-seen.${ADMIN_ID}`)).toBe("ru");

    const before = h.lastBotMessageId();
    const result = await h.app.executor.execute("gone_1", "manual");
    expect(result.status).toBe("failed");
    expect(result.errorKey).toBe("run-failed-dump");
    expect(result.errorParams?.reason).toMatchObject({ key: "source-error-connect", params: { server: "127.0.0.1:1", reason: { key: "source-reason-refused" } } });
    // the English line stays for logs
    expect(result.error).toBe("dump failed: cannot connect to 127.0.0.1:1: connection refused");
    const alert = await h.waitForText((t) => t.startsWith("❌"));
    expect(alert.message_id).toBeGreaterThan(before);
    expect(alert.text).toBe(
      `❌ Резервное копирование НЕ УДАЛОСЬ: gone_1\nЗапуск: #${result.runId}\nПричина: ошибка дампа: Не удаётся подключиться к 127.0.0.1:1: в соединении отказано (запущен ли сервер, верны ли хост и порт?).`,
    );
    expect(englishWords(alert.text!)).toEqual([]);
  }, 60_000);

  it("an admin who chose /lang en gets the same alert in English", async () => {
    await h.say("/lang en");
    const before = h.lastBotMessageId();
    const result = await h.app.executor.execute("gone_1", "manual");
    const alert = await h.waitForText((t) => t.startsWith("❌") && t.includes(`#${result.runId}`));
    // The same failure again edits the first alert (issue 13, item 4), now in English.
    expect(alert.message_id).toBeLessThanOrEqual(before);
    expect(alert.text).toMatch(/^❌ gone_1 is still failing: 2 times in a row/);
    expect(alert.text).toContain("Reason: dump failed: Cannot connect to 127.0.0.1:1: the connection was refused");
    await h.say("/lang ru");
    expect(h.app.userLocale(ADMIN_ID)).toBe("ru");
  }, 60_000);

  it("/newjob refuses a bad name, a seconds cron and an every-minute cron in Russian, and previews three distinct times", async () => {
    const start = await h.say("/newjob");
    expect(start.text).toContain("Какой источник");
    await h.press(start, "gone_db");
    const picker = await h.waitForText((t) => t.startsWith("Куда отправлять копии"));
    await h.press(picker, "nas_1");
    await h.press(picker, "Готово");
    const name = await h.waitForText((t) => t.startsWith("Имя задания"));
    // a validation error first: a name the rules refuse
    const badName = await h.say("Bad Name!");
    expect(badName.text).toContain("Bad Name!");
    expect(englishWords((badName.text ?? "").replaceAll("Bad Name!", ""))).toEqual([]);
    expect(name.text).not.toContain("Bad Name!");
    // re-asked with the same choices
    await h.press(badName, "Использовать");
    const zone = await h.waitForText((t) => t.startsWith("Часовой пояс расписания"));
    await h.press(zone, "(по умолчанию)");
    const when = await h.waitForText((t) => t.startsWith("Когда запускать"));
    await h.press(when, "Своё выражение cron");
    await h.waitForText((t) => t.startsWith("Отправьте выражение cron"));

    const seconds = await h.say("*/10 * * * * *");
    expect(seconds.text).toContain("В «*/10 * * * * *» есть поле секунд (6 полей)");
    expect(englishWords(seconds.text!)).toEqual([]);

    const everyMinute = await h.say("* * * * *");
    expect(everyMinute.text).toContain("«* * * * *» срабатывает чаще, чем раз в 5 мин");
    expect(englishWords(everyMinute.text!)).toEqual([]);

    const badField = await h.say("61 * * * *");
    expect(badField.text).toContain("поле минут «61» недопустимо (допустимо: 0-59)");
    expect(englishWords(badField.text!)).toEqual([]);

    const preview = await h.say("*/30 * * * *");
    const times = (preview.text ?? "").split("\n").filter((l) => l.startsWith("• "));
    expect(times).toHaveLength(3);
    expect(new Set(times).size).toBe(3);
    expect(englishWords(preview.text!)).toEqual([]);
    await h.say("/cancel");
  }, 60_000);

  it("a success message posted in a Russian channel gives size and duration in Russian units", async () => {
    const CHANNEL = -1004242424242;
    h.fake.createChannel({ id: CHANNEL, title: "Копии" });
    h.app.settings.set("lang.channel", "ru");
    const dir = path.join(h.ws.dir, "notes_1");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "a.txt"), "x".repeat(5000));
    h.app.sources.create({ name: "notes_1", kind: "directory", path: dir });
    h.app.destinations.create({ name: "tg_1", kind: "telegram", chat_id: String(CHANNEL) });
    h.app.jobs.create({ name: "notes_1", source: "notes_1", destinations: ["tg_1"], schedule: "0 3 * * *", compression: "none" });
    const result = await h.app.executor.execute("notes_1", "manual");
    expect(result.status, result.error ?? "").toBe("success");
    const done = await h.waitForText((t) => t.startsWith("✅") && t.includes("notes_1"), CHANNEL);
    const text = done.text!;
    // 10 KiB of tar, said with a decimal comma and Russian units; the duration too
    expect(text).toMatch(/\d+,\d (КиБ|Б)|\d+ Б/);
    expect(text).toMatch(/\d+ мс|\d+,\d с|\d+ мин \d+ с/);
    expect(englishWords(text)).toEqual([]);
    h.app.settings.set("lang.channel", "en");
  }, 60_000);

  it("a restore whose only copy is gone fails in Russian", async () => {
    // A real backup of a folder into the local destination, whose part is then removed.
    const dir = path.join(h.ws.dir, "files_1");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "a.txt"), "answer = 42\n");
    h.app.sources.create({ name: "files_1", kind: "directory", path: dir });
    h.app.jobs.create({ name: "files_1", source: "files_1", destinations: ["nas_1"], schedule: "0 3 * * *" });
    const result = await h.app.runner.run(await h.app.jobs.resolve("files_1"), { trigger: "manual" });
    expect(result.status).toBe("success");
    for (const p of h.app.runs.liveParts(result.runId)) if (p.partIndex > 0) rmSync(p.locator!, { force: true });

    const pick = await h.say("/restore");
    await h.press(pick, "files_1");
    await h.press(pick, `#${result.runId} `);
    await h.press(pick, "Прислать файл");
    const failed = await h.waitForText((t) => t.startsWith("❌ Восстановление"), ADMIN_ID, 30_000);
    expect(failed.text).toContain(`У части 1 запуска #${result.runId} нет целой копии (nas_1: ${result.fileName}.001 отсутствует); ничего не восстановлено.`);
    expect(englishWords(failed.text!)).toEqual([]);
    expect(botTexts(pick.message_id).every((t) => englishWords(t).length === 0)).toBe(true);
  }, 60_000);
});
