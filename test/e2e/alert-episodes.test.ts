import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeTelegram, type FakeTelegram, type RequestRecord } from "../fake-telegram/server.js";
import { englishWords } from "../helpers/english-words.js";
import { createPgDatabase, type PgDatabase } from "../helpers/pg.js";
import { createWorkspace, MAIN, ROOT, type Workspace } from "../helpers/workspace.js";

const ADMIN_EN = 111;
/** An admin whose Telegram app is Russian and who never used /lang. */
const ADMIN_RU = 222;
const CHANNEL = -1001234567890;

/**
 * Issue 13, items 4 and 6: calm alerts. A job failing again and again for the same reason is one
 * message per chat, edited with the count (across restarts: every CLI run here is a new process,
 * and the daemon is stopped in between); a success closes the episode with one recovery message;
 * the admin who pressed Run now gets one result; a Russian admin and a channel whose destination
 * says `language: ru` read all of it in Russian. The real process, the fake Bot API.
 */
describe("alert episodes: one edited alert per chat, one recovery, each chat in its language", () => {
  let fake: FakeTelegram;
  let ws: Workspace;
  let proc: ChildProcess | undefined;
  let pg: PgDatabase;
  let jobId = 0;
  /** sendMessage calls before the first run (the channel's connection test at import). */
  let before = 0;

  const sends = (chat: number) => fake.requestsFor("sendMessage").filter((r) => r.seq > before && String(r.params.chat_id) === String(chat) && r.outcome === "ok");
  const edits = (chat: number, messageId: number) =>
    fake.requestsFor("editMessageText").filter((r) => String(r.params.chat_id) === String(chat) && Number(r.params.message_id) === messageId && r.outcome === "ok");
  const idOf = (r: RequestRecord) => (r.response as { result: { message_id: number } }).result.message_id;
  const text = (chat: number, messageId: number) => fake.message(chat, messageId)?.text ?? "";
  const fail = async () => {
    const r = await ws.cli(["backup", "db_nightly"]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
  };

  /** The database on `port`: 1 refuses connections (a failure with a translated reason), 5432 is the real server. */
  const config = (port: number) => `
sources:
  - { name: app_db, kind: postgres, host: 127.0.0.1, port: ${port}, database: ${pg.name}, user: postgres, password: "" }
destinations:
  - { name: channel, kind: telegram, chat_id: "${CHANNEL}", language: ru }
jobs:
  - { name: db_nightly, source: app_db, destinations: [channel], schedule: "0 3 * * *" }
`;

  const startDaemon = async () => {
    proc = spawn(process.execPath, ["--import", "tsx", MAIN, "run"], { cwd: ROOT, env: ws.env, stdio: ["ignore", "inherit", "inherit"] });
    await fake.waitFor(() => fake.isPolling(), 30_000, "the bot to start polling");
  };
  const stopDaemon = async () => {
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc!.once("exit", r));
    proc.kill("SIGTERM");
    await exited;
  };

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: ADMIN_EN, firstName: "Ada", languageCode: "en" });
    fake.createUser({ id: ADMIN_RU, firstName: "Аня", languageCode: "ru" });
    fake.createChannel({ id: CHANNEL, title: "Копии" });
    ws = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_SELF_HOSTED: "false", ADMIN_IDS: `${ADMIN_EN},${ADMIN_RU}`, TZ: "Europe/Moscow", LOG_LEVEL: "warn" });
    pg = await createPgDatabase("alerts");
    await pg.query("create table t as select g as id from generate_series(1, 100) g");
    const r = await ws.cli(["config", "import", ws.writeFile("config.yaml", config(1))]);
    expect(r.code, r.stderr).toBe(0);
    const app = await ws.app();
    jobId = app.jobsRepo.findByName("db_nightly")!.id;
    app.close();
  }, 60_000);

  afterAll(async () => {
    await stopDaemon();
    await fake?.close();
    await pg?.drop();
    ws?.remove();
  });

  it("the command menu is registered for each admin's private chat only, in their language", async () => {
    await startDaemon();
    expect(fake.commands()).toEqual([]);
    expect(fake.commands({ languageCode: "ru" })).toEqual([]);
    const menu = (chat: number) => fake.commands({ scope: { type: "chat", chat_id: chat } });
    expect(menu(ADMIN_EN).map((c) => c.command)).toContain("runnow");
    // The Russian admin has not written yet: English, until their first message shows their app's language.
    const reply = fake.waitForBotMessage(ADMIN_RU);
    fake.sendUserMessage(ADMIN_RU, "/start");
    expect((await reply).text).toMatch(/[а-я]/);
    await fake.waitFor(() => menu(ADMIN_RU).find((c) => c.command === "runnow" && /[а-я]/.test(c.description)), 10_000, "a Russian menu");
    expect(menu(ADMIN_EN).find((c) => c.command === "runnow")?.description).toMatch(/^[A-Z]/);
    await stopDaemon();
    before = Math.max(0, ...fake.requestsFor("sendMessage").map((x) => x.seq));
  }, 60_000);

  it("five failures (two processes, the daemon, two more processes): one alert per chat, edited to say 5; the presser of /runnow gets one result", async () => {
    await fail();
    const firstEn = sends(ADMIN_EN);
    const firstRu = sends(ADMIN_RU);
    const firstChannel = sends(CHANNEL);
    expect([firstEn.length, firstRu.length, firstChannel.length]).toEqual([1, 1, 1]);
    // the first failure is loud; only admins' private chats carry buttons
    for (const r of [...firstEn, ...firstRu, ...firstChannel]) expect(r.params.disable_notification).not.toBe(true);
    const [en, ru, channel] = [idOf(firstEn[0]!), idOf(firstRu[0]!), idOf(firstChannel[0]!)];
    const buttons = (chat: number, id: number) => (fake.message(chat, id)?.reply_markup?.inline_keyboard ?? []).flat().map((b) => (b && "callback_data" in b ? b.callback_data : ""));
    expect(buttons(ADMIN_EN, en)).toEqual([`job:o:${jobId}`, `job:r:${jobId}`, `alert:off:${jobId}`]);
    expect(buttons(CHANNEL, channel)).toEqual([]);
    expect(text(ADMIN_EN, en)).toMatch(/^❌ Backup FAILED: db_nightly/);
    expect(text(ADMIN_RU, ru)).toMatch(/^❌ Резервное копирование НЕ УДАЛОСЬ: db_nightly/);
    expect(text(CHANNEL, channel)).toMatch(/^❌ Резервное копирование НЕ УДАЛОСЬ: db_nightly/);

    await fail();
    expect(text(ADMIN_EN, en)).toMatch(/^❌ db_nightly is still failing: 2 times in a row since \d\d:\d\d \(Europe\/Moscow\)/);

    // the Russian admin presses /runnow in the daemon: one message (the progress, ending with the failure)
    await startDaemon();
    const earlier = sends(ADMIN_RU).length;
    fake.sendUserMessage(ADMIN_RU, "/runnow db_nightly");
    const result = await fake.waitFor(
      () => fake.messages(ADMIN_RU).find((m) => m.message_id > ru && /^❌/.test(m.text ?? "")),
      30_000,
      "the /runnow result",
    );
    expect(result.text).toMatch(/^❌ Копия НЕ УДАЛАСЬ: db_nightly/);
    await fake.waitFor(() => text(ADMIN_EN, en).includes("3 times"), 10_000, "the English alert to say 3");
    expect(sends(ADMIN_RU).length - earlier).toBe(1);
    // its older alert still counts, silently (an edit)
    expect(text(ADMIN_RU, ru)).toMatch(/уже 3 раза подряд/);
    await stopDaemon();

    await fail();
    await fail();
    for (const [chat, id] of [[ADMIN_EN, en], [ADMIN_RU, ru], [CHANNEL, channel]] as const) expect(edits(chat, id)).toHaveLength(4);
    expect([sends(ADMIN_EN).length, sends(ADMIN_RU).length, sends(CHANNEL).length]).toEqual([1, 2, 1]);
    expect(text(ADMIN_EN, en)).toMatch(/^❌ db_nightly is still failing: 5 times in a row since \d\d:\d\d \(Europe\/Moscow\)\nLatest run: #\d+\nReason: /);
    expect(text(ADMIN_RU, ru)).toMatch(/уже 5 раз подряд, начиная с \d\d:\d\d \(Europe\/Moscow\)/);
    expect(text(CHANNEL, channel)).toMatch(/уже 5 раз подряд/);
    expect(buttons(ADMIN_EN, en)).toHaveLength(3);
  }, 180_000);

  it("an alert that cannot be edited any more is replaced by a new, silent one, which the next failure edits", async () => {
    fake.failNext("editMessageText", { kind: "error", code: 400, description: "Bad Request: message to edit not found" });
    const earlier = sends(CHANNEL).length;
    await fail();
    const fresh = sends(CHANNEL).slice(earlier);
    expect(fresh).toHaveLength(1);
    expect(fresh[0]!.params.disable_notification).toBe(true);
    const id = idOf(fresh[0]!);
    expect(text(CHANNEL, id)).toMatch(/уже 6 раз подряд/);
    await fail();
    expect(sends(CHANNEL).length).toBe(earlier + 1);
    expect(text(CHANNEL, id)).toMatch(/уже 7 раз подряд/);
  }, 60_000);

  it("a success closes the episode: one quiet recovery message per chat, in its language", async () => {
    const earlier = [sends(ADMIN_EN).length, sends(ADMIN_RU).length, sends(CHANNEL).length];
    expect((await ws.cli(["config", "import", ws.writeFile("fixed.yaml", config(5432))])).code).toBe(0);
    const r = await ws.cli(["backup", "db_nightly"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const recovery = (chat: number) => sends(chat).filter((s) => /^✅ db_nightly/.test(String(s.params.text)));
    expect(recovery(ADMIN_EN).map((s) => s.params.text)).toEqual([expect.stringMatching(/^✅ db_nightly recovered after 7 failures since \d\d:\d\d \(Europe\/Moscow\)\.$/)]);
    expect(recovery(ADMIN_RU)).toHaveLength(1);
    expect(recovery(CHANNEL)).toHaveLength(1);
    for (const s of [...recovery(ADMIN_EN), ...recovery(ADMIN_RU), ...recovery(CHANNEL)]) expect(s.params.disable_notification).toBe(true);
    // admins got nothing else; the channel also got its success post, in Russian
    expect(sends(ADMIN_EN).length - earlier[0]!).toBe(1);
    expect(sends(ADMIN_RU).length - earlier[1]!).toBe(1);
    expect(fake.messages(CHANNEL).some((m) => m.text?.startsWith("✅ Резервная копия готова: db_nightly"))).toBe(true);

    // The next failure is a new episode, loud again. Here it is a /runnow: the admin who pressed it
    // reads its one result in the progress message; the others get the alert.
    expect((await ws.cli(["config", "import", ws.writeFile("broken.yaml", config(1))])).code).toBe(0);
    const [en0, ru0, ch0] = [sends(ADMIN_EN).length, sends(ADMIN_RU).length, sends(CHANNEL).length];
    const last = Math.max(...fake.messages(ADMIN_EN).map((m) => m.message_id));
    await startDaemon();
    fake.sendUserMessage(ADMIN_EN, "/runnow db_nightly");
    await fake.waitFor(() => fake.messages(ADMIN_EN).find((m) => m.message_id > last && /^❌ Backup FAILED: db_nightly \(run #/.test(m.text ?? "")), 30_000, "the /runnow result");
    await fake.waitFor(() => sends(ADMIN_RU).length > ru0, 10_000, "the new episode's alert");
    await stopDaemon();
    expect(sends(ADMIN_EN).length - en0).toBe(1);
    const loud = [...sends(ADMIN_RU).slice(ru0), ...sends(CHANNEL).slice(ch0)];
    expect(loud).toHaveLength(2);
    for (const r of loud) expect(r.params.disable_notification).not.toBe(true);
    expect(String(sends(ADMIN_RU).at(-1)!.params.text)).toMatch(/^❌ Резервное копирование НЕ УДАЛОСЬ: db_nightly/);
  }, 90_000);

  it("the alert's buttons work: the job card, Run now, and Disable (which never re-enables)", async () => {
    // The presser of the /runnow above has no alert of this episode yet: a repeat brings one, silently.
    const m0 = sends(ADMIN_EN).length;
    await fail();
    const alert = sends(ADMIN_EN)[m0]!;
    expect(alert.params.disable_notification).toBe(true);
    const id = idOf(alert);
    expect(text(ADMIN_EN, id)).toMatch(/^❌ db_nightly is still failing: 2 times in a row/);
    await startDaemon();
    const answers = () => fake.callbackAnswers.length;

    let n = answers();
    fake.pressButton(ADMIN_EN, id, `job:o:${jobId}`);
    await fake.waitFor(() => /Schedule/.test(text(ADMIN_EN, id)), 15_000, "the job card");
    expect(answers()).toBeGreaterThan(n);

    // the card took the alert's place; the next failure makes it the alert again (no new message)
    const m = sends(ADMIN_EN).length;
    await fail();
    expect(text(ADMIN_EN, id)).toMatch(/^❌ db_nightly is still failing: 3 times in a row/);
    expect(sends(ADMIN_EN).length).toBe(m);
    fake.pressButton(ADMIN_EN, id, `job:r:${jobId}`);
    await fake.waitFor(() => fake.messages(ADMIN_EN).find((x) => x.message_id > id && /^❌ Backup FAILED: db_nightly \(run #/.test(x.text ?? "")), 30_000, "the Run now result");
    await fake.waitFor(() => /4 times in a row/.test(text(ADMIN_EN, id)), 10_000, "the alert to count the run");

    n = answers();
    fake.pressButton(ADMIN_EN, id, `alert:off:${jobId}`);
    await fake.waitFor(() => fake.callbackAnswers.length > n, 10_000, "the toast");
    expect(fake.callbackAnswers.at(-1)!.text).toMatch(/^Disabled: db_nightly will not run on its schedule/);
    fake.pressButton(ADMIN_EN, id, `alert:off:${jobId}`);
    await fake.waitFor(() => fake.callbackAnswers.length > n + 1, 10_000, "the second toast");
    expect(fake.callbackAnswers.at(-1)!.text).toBe("db_nightly is already disabled.");
    await stopDaemon();
    const app = await ws.app();
    try {
      expect(app.jobsRepo.findByName("db_nightly")!.enabled).toBe(false);
    } finally {
      app.close();
    }
  }, 120_000);

  it("the Russian admin and the Russian channel read every message in Russian", () => {
    // Texts, not document captions: the manifest's restore recipe is shell code, and the catalog's
    // caption is still in the channels' default language (src/application/catalog-publisher.ts).
    const texts = [...fake.messages(ADMIN_RU), ...fake.messages(CHANNEL)].filter((m) => m.sent_by_bot !== undefined && m.text !== undefined).map((m) => m.text!);
    expect(texts.length).toBeGreaterThan(5);
    const buttons = fake.messages(ADMIN_RU).flatMap((m) => (m.reply_markup?.inline_keyboard ?? []).flat().map((b) => b?.text ?? ""));
    expect(buttons).toContain("🗂 Карточка задания");
    texts.push(...buttons);
    expect(fake.documents(CHANNEL).some((m) => /^📦 db_nightly · часть 1/.test(m.caption ?? ""))).toBe(true);
    const english = texts.map((t) => ({ t, words: englishWords(t) })).filter((x) => x.words.length > 0);
    expect(english).toEqual([]);
  });
});
