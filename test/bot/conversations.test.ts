import { readFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config/env.js";
import { createLogger } from "../../src/logger.js";
import { FULL_ADMIN_RIGHTS, type StoredMessage } from "../fake-telegram/state.js";
import { createMysqlDatabase, createMysqlUser, type MysqlDatabase, type MysqlUser } from "../helpers/mysql.js";
import { createPgDatabase, type PgDatabase } from "../helpers/pg.js";
import { ADMIN_ID, buttonsOf, startHarness, type Harness } from "./harness.js";

/**
 * The guided dialogs (/newsource, /newdest, /newjob) driven only by messages and button
 * presses through the real grammY bot over HTTP against the fake Bot API, with a real app,
 * real PostgreSQL / MariaDB servers and real connection tests.
 */
describe("guided dialogs", () => {
  let h: Harness;
  /** An app with BOT_TOKEN set, so Telegram destinations can be checked with the bot's token. */
  let checker: App;
  let pg: PgDatabase;
  const traceLines: string[] = [];
  /** Every log line of the bot and the app, at every level. */
  const allLogs = (): string => [...h.logLines, ...traceLines].join("\n");

  beforeAll(async () => {
    h = await startHarness();
    // Everything logs at the most verbose level into `traceLines`: the bot (restarted with
    // this logger) and the app whose drivers run the connection tests.
    const traceLog = createLogger("trace", { write: (line: string) => void traceLines.push(line) });
    const env = { ...h.ws.env, BOT_TOKEN: h.fake.token };
    checker = await buildApp(loadConfig(env), traceLog, env);
    h.deps.log = traceLog;
    h.deps.checkSource = (config) => checker.checkSource(config);
    h.deps.checkDestination = (config) => checker.checkDestination(config);
    await h.restart();
    pg = await createPgDatabase("conv");
    await pg.query("CREATE TABLE t (id int); INSERT INTO t VALUES (1);");
    // What the job dialogs pick from, made here rather than by the dialog tests before them,
    // so every test also runs alone (vitest -t).
    h.app.sources.create({ name: "fixture-db", kind: "postgres", host: "127.0.0.1", port: 5432, database: pg.name, user: "postgres", password: "" });
    h.app.sources.create({ name: "fixture-dir", kind: "directory", path: h.backupsDir });
    h.app.destinations.create({ name: "fixture-disk", kind: "local", path: h.backupsDir });
  });
  afterAll(async () => {
    await h?.close();
    checker?.close();
    await pg?.drop();
  });

  // ------------------------------------------------------------------ helpers

  const botMessages = (): StoredMessage[] => h.fake.messages(ADMIN_ID).filter((m) => m.sent_by_bot !== undefined);
  const maxId = (): number => Math.max(0, ...h.fake.messages(ADMIN_ID, { includeDeleted: true }).map((m) => m.message_id));
  const lastPrompt = (): StoredMessage => {
    const withButtons = botMessages().filter((m) => buttonsOf(m).length > 0);
    const m = withButtons[withButtons.length - 1];
    if (!m) throw new Error("no bot message with buttons");
    return m;
  };
  /** The newest Bot API request so far: messages the bot sends or edits later are "since" it. */
  const requestSeq = (): number => Math.max(0, ...["sendMessage", "editMessageText", "getUpdates"].flatMap((m) => h.fake.requestsFor(m).map((r) => r.seq)));
  /** Messages whose text the bot replaced after request `seq` (a dialog edits an answered prompt into the next one). */
  const editedSince = (seq: number): Set<number> =>
    new Set(h.fake.requestsFor("editMessageText").filter((r) => r.seq > seq).map((r) => Number(r.params.message_id)));
  /** The first bot message after message `after` (or edited after request `seq`) whose text matches `re`. */
  const waitBot = (after: number, re: RegExp, seq?: number): Promise<StoredMessage> =>
    h.fake.waitFor(
      () => {
        const edited = seq === undefined ? new Set<number>() : editedSince(seq);
        return botMessages().find((m) => (m.message_id > after || edited.has(m.message_id)) && re.test(m.text ?? ""));
      },
      20_000,
      `a bot message matching ${re} (last: ${JSON.stringify(botMessages().slice(-3).map((m) => m.text))})`,
    );
  /** Where the latest `send`/`click` started: `waitSince` looks at bot messages after it. */
  let mark = 0;
  let markSeq = 0;
  const setMark = (): number => {
    markSeq = requestSeq();
    return (mark = maxId());
  };
  const waitSince = (re: RegExp): Promise<StoredMessage> => waitBot(mark, re, markSeq);
  /** The admin sends `text`; resolves with the bot's next message matching `expect`. */
  const send = async (text: string, expect: RegExp): Promise<StoredMessage> => {
    const after = setMark();
    const update = h.fake.sendUserMessage(ADMIN_ID, text);
    const reply = await waitBot(after, expect, markSeq);
    await h.fake.updateConfirmed(update);
    await h.idle();
    return reply;
  };
  /** Presses `label` under the latest prompt (or `on`); resolves with the bot's next message matching `expect`. */
  const click = async (label: string | RegExp, expect: RegExp, on?: StoredMessage): Promise<StoredMessage> => {
    const after = setMark();
    await h.press(on ?? lastPrompt(), label);
    return waitBot(after, expect, markSeq);
  };
  /** Every text the bot sent to Telegram (requests only: the user's own messages are not requests). */
  const botSentText = (): string => h.fake.allTextSent().join("\n");

  // ------------------------------------------------------------------ tests

  it("creates a PostgreSQL source, a local folder destination and a job only by messages and buttons", async () => {
    // source
    await send("/newsource", /What do you want to back up/);
    await click("PostgreSQL", /Host name/);
    await send("127.0.0.1", /Port/);
    await click("Use 5432", /Name of the database/);
    await send(pg.name, /User name/);
    await click("Use postgres", /Password of postgres/);
    expect(lastPrompt().text).toContain("env:NAME");
    await click("No password", /Name for this source/);
    await send("app-db", /Testing the connection to postgres@127\.0\.0\.1:5432/);
    const reviewed = await waitSince(/connection test passed: PostgreSQL \d+/);
    expect(reviewed.text).toContain("Review the new source");
    expect(buttonsOf(reviewed)).toEqual(["💾 Save", "✏️ Change a setting", "✖️ Cancel"]);
    expect(h.app.sources.getByName("app-db")).toBeNull(); // nothing saved before the review
    await click("💾 Save", /Source "app-db" saved/, reviewed);
    const source = h.app.sources.getByName("app-db");
    expect(source).toMatchObject({ kind: "postgres", host: "127.0.0.1", port: 5432, database: pg.name, user: "postgres" });
    expect(source?.password).toBeUndefined();

    // destination
    await send("/newdest", /Where should backups be delivered/);
    await click("Folder on this server", /Absolute path of the folder/);
    await send("backups", /absolute path/); // re-asked: not absolute
    await send(h.backupsDir, /Name for this destination/);
    await click("Use backups", /Testing folder/);
    await click("💾 Save", /Destination "backups" saved/, await waitSince(/Review the new destination/));
    expect(h.app.destinations.getByName("backups")).toMatchObject({ kind: "local", path: h.backupsDir });

    // job
    const { recipient } = await ageKey();
    await send("/newjob", /Which source should this job back up/);
    await click("app-db", /Where should the backups go/);
    const picker = lastPrompt();
    await h.press(picker, "backups");
    expect(buttonsOf(h.current(picker.message_id))).toContain("✅ backups · Folder on this server");
    await click("Done", /Name for the job/, picker);
    await click("Use app-db-backup", /Time zone of the schedule\? The default is UTC/);
    await click("UTC (default)", /When should it run/);
    await click("Custom cron", /Send a cron expression/);

    // an invalid cron is re-asked with the explanation
    const refused = await send("61 * * * *", /not a usable cron expression/);
    expect(refused.text).toMatch(/61/);
    expect(refused.text).toContain("minute hour day-of-month month day-of-week");
    const runs = await send("30 2 * * 1-5", /Schedule 30 2 \* \* 1-5 in UTC\. The next runs:/);
    expect(runs.text!.split("\n").filter((l) => /^• \w+ \d{4}-\d\d-\d\d 02:30$/.test(l))).toHaveLength(3);
    await click("Looks right", /Dump format/);
    await click("Plain SQL", /Compression/);
    await click("zstd", /Encrypt the backup files/);
    await click("age public keys", /age public keys \(age1…\)/);
    await send("age1notakey", /"age1notakey" is not an age public key/);
    await send(recipient, /Largest size of one part file/);
    await send("5GiB", /from 1MiB to 2000MiB/);
    await click("Use 19MiB", /How many backups should be kept/);
    await click("recommended", /Where should success messages go/);
    await click("The destination chats", /Where should failure alerts go/);
    const summary = await click("The destination chats", /Review the new job/);
    expect(summary.text).toContain("Schedule: 30 2 * * 1-5, UTC");
    expect(summary.text).toContain("Encryption: age, one recipient");
    expect(summary.text).toContain("Keep: last 14, 7 daily, 4 weekly, 6 monthly");
    await click("Create the job", /Job "app-db-backup" created\. Next run: \w+ \d{4}-\d\d-\d\d 02:30/);

    const job = h.app.jobs.getByName("app-db-backup");
    expect(job).toMatchObject({
      source: "app-db",
      destinations: ["backups"],
      schedule: "30 2 * * 1-5",
      timezone: null, // the default (TZ)
      format: "sql",
      compression: "zstd",
      encryption: { recipients: [recipient] },
      part_size: 19 * 1024 * 1024,
      retention: { keep_last: 14, keep_daily: 7, keep_weekly: 4, keep_monthly: 6 },
      notify: {},
      enabled: true,
    });
    // The dialog is over: plain text goes to the bot's normal handlers again.
    expect((await send("hello", /./)).text).toContain("/help");
  });

  it("re-asks a wrong port and shows why the connection test failed, then saves after a fix", async () => {
    await send("/newsource", /What do you want to back up/);
    await click("PostgreSQL", /Host name/);
    await send("127.0.0.1", /Port/);
    await send("five", /port must be a whole number from 1 to 65535/);
    await send("70000", /port must be a whole number from 1 to 65535/);
    await send("1", /Name of the database/);
    await send(pg.name, /User name/);
    await click("Use postgres", /Password of postgres/);
    await click("No password", /Name for this source/);
    await send("port-test", /Testing the connection to postgres@127\.0\.0\.1:1\//);
    const failed = await waitSince(/The connection test failed/);
    expect(failed.text).toMatch(/refused|could not connect|port 1/i);
    expect(buttonsOf(failed)).toEqual(["🔁 Try again", "✏️ Change a setting", "💾 Save anyway", "✖️ Cancel"]);
    expect(h.app.sources.getByName("port-test")).toBeNull();

    await click("Change a setting", /Which setting/, failed);
    await click("Port", /Port/);
    await click("💾 Save", /Source "port-test" saved/, await send("5432", /connection test passed/));
    expect(h.app.sources.getByName("port-test")?.port).toBe(5432);
  });

  it("creates SQLite, folder and Docker volume sources; a failed test can still be saved on purpose", async () => {
    const file = path.join(h.ws.dir, "notes.sqlite");
    const sqlite = new Database(file);
    sqlite.exec("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO note (body) VALUES ('hi');");
    sqlite.close();

    await send("/newsource", /What do you want to back up/);
    await click("SQLite file", /Absolute path of the SQLite file/);
    await send("notes.sqlite", /Send an absolute path/);
    await send(file, /Name for this source/);
    await click("Use notes", /Testing the connection/);
    await click("💾 Save", /Source "notes" saved/, await waitSince(/connection test passed: SQLite/));
    expect(h.app.sources.getByName("notes")).toMatchObject({ kind: "sqlite", path: file });

    await send("/newsource", /What do you want to back up/);
    await click("Folder", /Absolute path of the folder/);
    await send(h.backupsDir, /Anything in it to leave out/);
    await send("../secrets", /"\.\.\/secrets" is not an exclude pattern/);
    await send(" , ", /Send at least one pattern/);
    await send("*.log\ncache/, *.log", /Name for this source/);
    await send("Not A Name", /is not a valid name/);
    await send("notes", /A source named "notes" already exists/);
    const reviewed = await send("configs", /connection test passed/);
    expect(reviewed.text).toContain("Left out: *.log, cache/");
    await click("💾 Save", /Source "configs" saved/, reviewed);
    expect(h.app.sources.getByName("configs")).toMatchObject({ kind: "directory", path: h.backupsDir, exclude: ["*.log", "cache/"] });

    // "Back up everything" sets none.
    await send("/newsource", /What do you want to back up/);
    await click("Folder", /Absolute path of the folder/);
    await send(h.backupsDir, /Anything in it to leave out/);
    await click("Back up everything", /Name for this source/);
    await click("💾 Save", /Source "configs2" saved/, await send("configs2", /connection test passed/));
    expect(h.app.sources.getByName("configs2")).not.toHaveProperty("exclude");

    await send("/newsource", /What do you want to back up/);
    await click("Docker volume", /Name of the Docker volume/);
    await send("bad volume!", /not a Docker volume name/);
    await send("tb_no_such_volume_here", /Name for this source/);
    await click("Use tb_no_such_volume_here", /Testing the connection/);
    const failed = await waitSince(/The connection test failed/);
    expect(failed.text).toContain("tb_no_such_volume_here");
    await click("Save anyway", /Source "tb_no_such_volume_here" saved/, failed);
    expect(h.app.sources.getByName("tb_no_such_volume_here")).toMatchObject({ kind: "volume", volume: "tb_no_such_volume_here" });
  });

  it("shows every issue the service refuses at the end and asks for the field again", async () => {
    await send("/newjob", /Which source/);
    await click("fixture-dir", /Where should the backups go/);
    const picker = lastPrompt();
    await h.press(picker, "fixture-disk");
    await click("Done", /Name for the job/, picker);
    await send("taken-later", /Time zone/);
    await click("UTC (default)", /When should it run/);
    await click("Every 6 hours", /next runs/);
    await click("Looks right", /Compression/);
    await click("none", /Encrypt/);
    await click("No encryption", /Largest size/);
    await send("8MiB", /How many backups/);
    await click("Keep everything", /success messages/);
    await click("The destination chats", /failure alerts/);
    const summary = await click("The destination chats", /Review the new job/);
    // Someone else takes the name meanwhile (another admin, a config import).
    h.app.jobs.create({ name: "taken-later", source: "fixture-dir", destinations: ["fixture-disk"], schedule: "0 1 * * *" });
    const refused = await click("Create the job", /Not saved:/, summary);
    expect(refused.text).toContain('name: a job named "taken-later" already exists');
    await waitSince(/Name for the job/);
    await send("taken-later-2", /Review the new job/);
    await click("Create the job", /Job "taken-later-2" created/);
    expect(h.app.jobs.getByName("taken-later-2")).toMatchObject({ compression: "none", part_size: 8 * 1024 * 1024, retention: {}, schedule: "0 */6 * * *" });
  });

  describe("a MariaDB password", () => {
    let db: MysqlDatabase;
    let user: MysqlUser;
    const wrong = `wrong-${Math.random().toString(36).slice(2, 12)}-pw`;

    beforeAll(async () => {
      db = await createMysqlDatabase("conv");
      user = await createMysqlUser(db.name);
    });
    afterAll(async () => {
      await user?.drop();
      await db?.drop();
    });

    it("is deleted as soon as it is read, a wrong one gets the reason, and it is never echoed, logged or stored in plaintext", async () => {
      await send("/newsource", /What do you want to back up/);
      await click("MySQL / MariaDB", /Host name/);
      await send("127.0.0.1", /Port/);
      await click("Use 3306", /Name of the database/);
      await send(db.name, /User name/);
      await send(user.user, /Password of/);

      const before = maxId();
      await send(wrong, /Got it\. Your message has been deleted/);
      const wrongMessage = h.fake.messages(ADMIN_ID, { includeDeleted: true }).find((m) => m.message_id > before && m.text === wrong);
      expect(wrongMessage).toBeDefined();
      expect(h.fake.deletedMessageIds(ADMIN_ID)).toContain(wrongMessage!.message_id);

      await send("shop", /Testing the connection/);
      const failed = await waitSince(/The connection test failed/);
      expect(failed.text).toMatch(/Access denied/i);
      await click("Change a setting", /Which setting/, failed);
      await click("Password", /Password of/);

      const before2 = maxId();
      await send(user.password, /Got it/);
      const rightMessage = h.fake.messages(ADMIN_ID, { includeDeleted: true }).find((m) => m.message_id > before2 && m.text === user.password);
      expect(h.fake.deletedMessageIds(ADMIN_ID)).toContain(rightMessage!.message_id);
      await click("💾 Save", /Source "shop" saved/, await waitSince(/connection test passed: MariaDB/));

      // Stored through the service, encrypted; it resolves to the right password.
      expect(h.app.sources.getByName("shop")?.password).toBe("***");
      expect((await h.app.sources.resolve("shop")).config).toMatchObject({ kind: "mysql", password: user.password });

      expect(dbBytesContain(h.app, db.name)).toBe(true); // the probe finds what is stored in plaintext
      expect(traceLines.some((l) => l.includes("polling for updates"))).toBe(true); // the capture is wired to the bot
      for (const secret of [wrong, user.password]) {
        expect(botSentText()).not.toContain(secret);
        expect(allLogs()).not.toContain(secret);
        expect(dbBytesContain(h.app, secret)).toBe(false);
      }
    });
  });

  it("/cancel leaves a dialog at a password prompt cleanly; the next message is no secret", async () => {
    await send("/newsource", /What do you want to back up/);
    await click("PostgreSQL", /Host name/);
    await send("127.0.0.1", /Port/);
    await click("Use 5432", /Name of the database/);
    await send("whatever", /User name/);
    await click("Use postgres", /Password of postgres/);
    await send("/cancel", /Cancelled\. Nothing was saved/);
    const before = h.fake.deletedMessageIds(ADMIN_ID).length;
    expect((await send("not a password", /./)).text).toContain("/help");
    expect(h.fake.deletedMessageIds(ADMIN_ID)).toHaveLength(before);
    expect(h.fake.messages(ADMIN_ID).some((m) => m.text === "not a password")).toBe(true);
  });

  it("another command leaves the dialog and runs", async () => {
    await send("/newdest", /Where should backups be delivered/);
    const left = await send("/newsource", /You left the new destination dialog/);
    expect(left).toBeDefined();
    await waitBot(left.message_id, /What do you want to back up/);
    await send("/cancel", /Cancelled/);
  });

  it("creates a Telegram destination from a message forwarded from the channel, and explains a chat the bot cannot post in", async () => {
    const channel = h.fake.createChannel({ title: "Backups Channel" });
    const closed = h.fake.createChannel({ title: "Read only", botStatus: "member" });

    await send("/newdest", /Where should backups be delivered/);
    await click("Telegram channel or group", /Which chat\?/);
    await send("hello", /Send a chat id such as -1001234567890/);
    await send(String(closed.id), /Which bot should post/); // a channel: no topic question
    await click("This bot", /Mirror chat\?/);
    await click("No mirror", /Name for this destination/);
    await send("closed", /Testing chat/);
    const failed = await waitSince(/The connection test failed/);
    expect(failed.text).toContain(String(closed.id));
    expect(failed.text).toMatch(/administrator|may not post/i);

    await click("Change a setting", /Which setting/, failed);
    await click("Chat", /Which chat\?/);
    const after = maxId();
    h.fake.injectUpdate({
      message: {
        message_id: after + 1,
        date: h.fake.now(),
        chat: { id: ADMIN_ID, type: "private", first_name: "Ada" },
        from: { id: ADMIN_ID, is_bot: false, first_name: "Ada" },
        text: "a post",
        forward_origin: { type: "channel", chat: { id: channel.id, type: "channel", title: "Backups Channel" }, message_id: 7, date: h.fake.now() },
      },
    });
    await waitBot(after, /Testing chat/);
    const reviewed = await waitBot(after, /connection test passed/);
    expect(reviewed.text).toContain("Chat: Backups Channel");
    await click("💾 Save", /Destination "closed" saved/, reviewed);
    expect(h.app.destinations.getByName("closed")).toMatchObject({ kind: "telegram", chat_id: String(channel.id) });
    // The probe was posted and removed again.
    expect(h.fake.messages(channel.id)).toHaveLength(0);
    expect(h.fake.messages(channel.id, { includeDeleted: true }).length).toBeGreaterThan(0);
  });

  it("asks for a mirror chat: tests that the bot can post there too, and saves it with the destination", async () => {
    const main = h.fake.createChannel({ title: "Main Backups" });
    const mirror = h.fake.createChannel({ title: "Mirror Backups", botStatus: "member" });
    await send("/newdest", /Where should backups be delivered/);
    await click("Telegram channel or group", /Which chat\?/);
    await send(String(main.id), /Which bot should post/);
    await click("This bot", /Mirror chat\?/);
    await send(String(mirror.id), /Name for this destination/);
    await send("mirrored", /Testing chat/);
    const failed = await waitSince(/The connection test failed/);
    expect(failed.text).toContain(String(mirror.id));
    h.fake.setBotMembership(mirror.id, { status: "administrator", rights: FULL_ADMIN_RIGHTS });
    await click("Try again", /Testing chat/, failed);
    await click("💾 Save", /Destination "mirrored" saved/, await waitSince(/connection test passed/));
    expect(h.app.destinations.getByName("mirrored")).toMatchObject({ kind: "telegram", chat_id: String(main.id), mirror_chat_id: String(mirror.id) });
  });

  it("a bot token for another bot is deleted, checked and stored encrypted only", async () => {
    const otherToken = h.fake.addBot({ username: "other_backup_bot" });
    const channel = h.fake.createChannel({ title: "Other", token: otherToken });
    await send("/newdest", /Where should backups be delivered/);
    await click("Telegram channel or group", /Which chat\?/);
    await send(String(channel.id), /Forum topic/);
    await click("No topic", /Which bot should post/);
    await click("Another bot", /token of the other bot/);
    await send("not-a-token", /does not look like a bot token/);
    await send(otherToken, /Mirror chat\?/);
    await click("No mirror", /Name for this destination/);
    await send("other", /Testing chat/);
    await click("💾 Save", /Destination "other" saved/, await waitSince(/connection test passed/));
    const view = h.app.destinations.getByName("other");
    expect(view?.bot_token).toBe("***");
    expect((await h.app.destinations.resolve("other")).config).toMatchObject({ botToken: otherToken });
    expect(botSentText()).not.toContain(otherToken);
    expect(allLogs()).not.toContain(otherToken);
    expect(dbBytesContain(h.app, otherToken)).toBe(false);
  });

  it("a restart in the middle of /newjob resumes the dialog", async () => {
    h.app.sources.create({ name: "restart-src", kind: "directory", path: h.backupsDir });
    await send("/newjob", /Which source/);
    await click("restart-src", /Where should the backups go/);
    const picker = lastPrompt();
    await h.press(picker, "fixture-disk");
    await click("Done", /Name for the job/, picker);
    const tz = await send("resumed-job", /Time zone of the schedule/);
    // The half-finished dialog is in SQLite, not in the bot's memory.
    expect(await h.deps.storage.adapter("conversations").read(String(ADMIN_ID))).toBeDefined();

    await h.restart();

    await click("UTC (default)", /When should it run/, tz);
    await click("Daily…", /At what time/);
    await click("03:00", /Schedule 0 3 \* \* \* in UTC/);
    await click("Looks right", /Compression/); // directories have one format: tar
    await click("gzip", /Encrypt/);
    await click("No encryption", /Largest size/);
    await click("Use 19MiB", /How many backups/);
    await click("The 7 latest", /success messages/);
    await click("The destination chats", /failure alerts/);
    await click("The destination chats", /Review the new job/);
    await click("Create the job", /Job "resumed-job" created/);
    expect(h.app.jobs.getByName("resumed-job")).toMatchObject({ source: "restart-src", format: "tar", schedule: "0 3 * * *", retention: { keep_last: 7 } });
  });

  it("a restart at a password prompt still deletes the answer; a password sent before a restart is asked for again", async () => {
    const pw = `pw-${Math.random().toString(36).slice(2)}-x`;
    await send("/newsource", /What do you want to back up/);
    await click("PostgreSQL", /Host name/);
    await send("127.0.0.1", /Port/);
    await click("Use 5432", /Name of the database/);
    await send(pg.name, /User name/);
    await click("Use postgres", /Password of postgres/);

    await h.restart();
    const before = maxId();
    await send(pw, /Got it\. Your message has been deleted/);
    const sent = h.fake.messages(ADMIN_ID, { includeDeleted: true }).find((m) => m.message_id > before && m.text === pw);
    expect(sent?.deleted).toBe(true);
    await waitSince(/Name for this source/);

    await h.restart(); // the vault is memory only: the password is gone now
    await send("restarted-db", /not kept across a restart/);
    await waitSince(/Password of postgres/);
    await send(pw, /Got it/);
    await click("💾 Save", /Source "restarted-db" saved/, await waitSince(/connection test passed/));
    expect((await h.app.sources.resolve("restarted-db")).config).toMatchObject({ password: pw });
    expect(botSentText()).not.toContain(pw);
    expect(allLogs()).not.toContain(pw);
    expect(dbBytesContain(h.app, pw)).toBe(false);
  });

  it("routes failure alerts to another chat and topic, with a passphrase that is never echoed", async () => {
    const group = h.fake.createGroup({ title: "ops", isForum: true, topics: [42] });
    const passphrase = `pass-${Math.random().toString(36).slice(2)}-phrase`;
    await send("/newjob", /Which source/);
    await click("fixture-db", /Where should the backups go/);
    const picker = lastPrompt();
    await h.press(picker, "fixture-disk");
    await click("Done", /Name for the job/, picker);
    await send("routed", /Time zone/);
    await send("Mars/Olympus", /"Mars\/Olympus" is not a known time zone/);
    await send("europe/berlin", /When should it run/);
    await click("Every hour", /Schedule 0 \* \* \* \* in Europe\/Berlin/);
    await click("Looks right", /Dump format/);
    await click("pg_dump custom", /Compression/);
    await click("gzip", /Encrypt/);
    await click("A passphrase", /passphrase that encrypts/);
    await send(passphrase, /once more/); // typed twice (issue 13, item 5)
    await send(passphrase, /Got it/);
    await click("Use 19MiB", /How many backups/);
    await click("Custom rule", /Send the rule/);
    await send("keep_last=ten", /Write the rule as/);
    await send("keep_last=10 max_age_days=90", /success messages/);
    await click("The destination chats", /failure alerts/);
    await click("Another chat", /Send the chat id/);
    await send(String(group.id), /Topic \(thread\) id/);
    await send("42", /Testing chat/);
    await waitSince(/connection test passed/);
    const summary = await waitSince(/Review the new job/);
    expect(summary.text).toContain(`Failure alerts: ${group.id}, topic 42`);
    expect(summary.text).toContain("Encryption: age, passphrase");
    await click("Create the job", /Job "routed" created/, summary);
    const job = h.app.jobs.getByName("routed");
    expect(job).toMatchObject({
      timezone: "Europe/Berlin",
      format: "custom",
      retention: { keep_last: 10, max_age_days: 90 },
      notify: { failure: { chat_id: String(group.id), thread_id: 42 } },
      encryption: { passphrase: "***" },
    });
    expect(await h.app.jobs.passphraseFor("routed")).toBe(passphrase);
    expect(botSentText()).not.toContain(passphrase);
    expect(allLogs()).not.toContain(passphrase);
    expect(dbBytesContain(h.app, passphrase)).toBe(false);
  });

  it("deletes an age secret key pasted where a public key is expected", async () => {
    const { identity } = await ageKey();
    await send("/newjob", /Which source/);
    await click("fixture-dir", /Where should the backups go/);
    const picker = lastPrompt();
    await h.press(picker, "fixture-disk");
    await click("Done", /Name for the job/, picker);
    await send("age-test", /Time zone/);
    await click("UTC (default)", /When should it run/);
    await click("Daily…", /At what time/);
    await click("04:00", /Schedule 0 4 \* \* \* in UTC/);
    await click("Looks right", /Compression/);
    await click("gzip", /Encrypt/);
    await click("age public keys", /age1…/);
    const before = maxId();
    await send(identity, /That was an age SECRET key, so I deleted it/);
    const pasted = h.fake.messages(ADMIN_ID, { includeDeleted: true }).find((m) => m.message_id > before && m.text === identity);
    expect(pasted?.deleted).toBe(true);
    expect(botSentText()).not.toContain(identity);
    expect(allLogs()).not.toContain(identity);
    expect(dbBytesContain(h.app, identity)).toBe(false);
    await send("/cancel", /Cancelled/);
  });

  it("keeps going when Telegram answers 429 inside a dialog (auto-retry reaches the dialog's own API client)", async () => {
    await send("/newdest", /Where should backups be delivered/);
    // The answered prompt is edited into the next question: that edit meets the 429.
    h.fake.failNext("editMessageText", { kind: "429", retryAfter: 1 });
    await click("Folder on this server", /Absolute path of the folder/);
    const edits = h.fake.requestsFor("editMessageText");
    expect(edits.some((r) => r.status === 429)).toBe(true);
    // Later answers replay the dialog over the recorded 429 and go on normally.
    await send(h.backupsDir, /Name for this destination/);
    await send("/cancel", /Cancelled/);
  });

  it("speaks Russian to a user who chose it", async () => {
    h.app.settings.set(`lang.${ADMIN_ID}`, "ru");
    try {
      await send("/newsource", /Что будем копировать\?/);
      await click("PostgreSQL", /Имя хоста или адрес/);
      await send("bad host!", /не имя хоста и не адрес/);
      await send("/cancel", /Отменено/);
    } finally {
      h.app.settings.set(`lang.${ADMIN_ID}`, "en");
    }
  });
});

describe("conversation locale files", () => {
  it("English and Russian have the same keys", () => {
    const keys = (lang: string) =>
      readFileSync(new URL(`../../locales/${lang}/conversations.ftl`, import.meta.url), "utf8")
        .split("\n")
        .map((l) => /^([a-z][a-z0-9-]*)\s*=/.exec(l)?.[1])
        .filter((k): k is string => k !== undefined)
        .sort();
    expect(keys("ru")).toEqual(keys("en"));
    expect(keys("en").length).toBeGreaterThan(100);
  });
});

async function ageKey(): Promise<{ identity: string; recipient: string }> {
  const identity = await generateIdentity();
  return { identity, recipient: await identityToRecipient(identity) };
}

/** Whether `secret` appears in the SQLite files' bytes after the WAL has been written back. */
function dbBytesContain(app: App, secret: string): boolean {
  app.db.run(sql`PRAGMA wal_checkpoint(TRUNCATE)`);
  const needle = Buffer.from(secret, "utf8");
  for (const file of [app.config.dbPath, `${app.config.dbPath}-wal`]) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      continue;
    }
    if (bytes.includes(needle)) return true;
  }
  return false;
}
