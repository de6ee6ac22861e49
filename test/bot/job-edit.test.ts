import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { StoredMessage } from "../fake-telegram/state.js";
import { createPgDatabase, type PgDatabase } from "../helpers/pg.js";
import { ADMIN_ID, buttonsOf, startHarness, type Harness } from "./harness.js";

const CHANNEL = -1001234567890;
const OLD = "old-Ledger-Passphrase-KILO";
const NEW = "new ledger passphrase lima";

/**
 * Issue 13, items 1 and 5: every setting of a job changed from its card through the same steps
 * /newjob asks (job-steps.ts), saved with the same checks, and shown back; passphrases typed
 * twice and strong enough; a warning before unencrypted backups go to a Telegram chat; and a
 * backup made before a passphrase change still restores. The cloud Bot API is in force
 * (TELEGRAM_SELF_HOSTED=false), so a Telegram destination limits the part size.
 */
describe("editing a job from its card", () => {
  let h: Harness;
  let pg: PgDatabase;
  let ledgerDir: string;
  let groupId: number;

  beforeAll(async () => {
    h = await startHarness({ selfHosted: false });
    pg = await createPgDatabase("job_edit");
    await pg.query("create table t (id int); insert into t values (1);");
    h.fake.createChannel({ id: CHANNEL, title: "Backups" });
    groupId = h.fake.createGroup({ title: "ops", isForum: true, topics: [42] }).id;
    const pgSource = (name: string) =>
      h.app.sources.create({ name, kind: "postgres", host: pg.config.host, port: pg.config.port, database: pg.name, user: pg.config.user, password: "" });
    pgSource("app-db");
    pgSource("other-db");
    ledgerDir = path.join(h.ws.dir, "ledger");
    mkdirSync(ledgerDir);
    writeFileSync(path.join(ledgerDir, "ledger.txt"), "opening balance 100\n");
    h.app.sources.create({ name: "ledger", kind: "directory", path: ledgerDir });
    h.app.destinations.create({ name: "disk", kind: "local", path: h.backupsDir });
    h.app.destinations.create({ name: "channel", kind: "telegram", chat_id: String(CHANNEL) });
    h.app.jobs.create({ name: "nightly", source: "app-db", destinations: ["disk"], schedule: "0 3 * * *" });
  });
  afterAll(async () => {
    await h?.close();
    await pg?.drop();
  });

  // ------------------------------------------------------------------ helpers

  const botMessages = (): StoredMessage[] => h.fake.messages(ADMIN_ID).filter((m) => m.sent_by_bot !== undefined);
  const lastPrompt = (): StoredMessage => botMessages().filter((m) => buttonsOf(m).length > 0).at(-1)!;
  const seq = (): number => h.fake.requests.at(-1)?.seq ?? 0;
  /** The text of the first message the bot sent or edited after request `after` that matches `re` (prompts may be edited in place). */
  const botSaid = async (after: number, re: RegExp): Promise<string> => {
    const texts = () =>
      h.fake.requests
        .filter((r) => r.seq > after && ["sendmessage", "editmessagetext"].includes(r.method.toLowerCase()) && r.outcome !== "pending")
        .map((r) => String(r.params.text ?? ""));
    await h.fake.waitFor(() => texts().find((t) => re.test(t)), 20_000, `a bot message matching ${re} (said: ${JSON.stringify(texts().slice(-3))})`);
    return texts().find((t) => re.test(t))!;
  };
  const send = async (text: string, re: RegExp): Promise<string> => {
    const after = seq();
    const update = h.fake.sendUserMessage(ADMIN_ID, text);
    const said = await botSaid(after, re);
    await h.fake.updateConfirmed(update);
    await h.idle();
    return said;
  };
  const click = async (label: string | RegExp, re: RegExp): Promise<string> => {
    const after = seq();
    await h.press(lastPrompt(), label);
    return botSaid(after, re);
  };
  /** /jobs → the job's card → ✏️ Edit settings; returns the buttons of "Which setting…". */
  const openEdit = async (job: string): Promise<string[]> => {
    const list = await h.say("/jobs");
    await h.press(list, job);
    await h.press(list, "Edit settings");
    await botSaid(0, /Which setting do you want to change\?/);
    return buttonsOf(lastPrompt());
  };

  // ------------------------------------------------------------------ tests

  it("changes every setting of a job through the bot; each answer says what changed; config export shows it all", async () => {
    const buttons = await openEdit("nightly");
    // The buttons show the current values.
    expect(buttons).toEqual([
      "Source: app-db",
      "Destinations: disk",
      "Name: nightly",
      "Time zone: UTC (default)",
      "Schedule: 0 3 * * *",
      "Format: Plain SQL (.sql)",
      "Compression: gzip",
      "Encryption: none",
      "Part size: 19MiB",
      "Retention: everything",
      "Restore drills: Off",
      "Success messages: The destination chats",
      "Failure alerts: The destination chats",
      "◀ Back",
    ]);

    await click("Format: Plain SQL (.sql)", /Dump format/);
    expect(await click("pg_dump custom", /changed:/)).toContain('✅ Job "nightly" changed:\n• Format: Plain SQL (.sql) → pg_dump custom format (-Fc)');
    // The card comes back with the new value, in words.
    await botSaid(0, /Job: nightly[\s\S]*Format: pg_dump custom format \(-Fc\) · compression: gzip/);

    await openEdit("nightly");
    await click("Compression: gzip", /Compression\?/);
    expect(await click("zstd", /changed:/)).toContain("• Compression: gzip → zstd");

    await openEdit("nightly");
    await click("Destinations: disk", /Where should the backups go/);
    await h.press(lastPrompt(), "channel");
    expect(await click("Done", /changed:/)).toContain("• Destinations: disk → disk, channel");

    // Part size: checked against the job's destinations, with the reason.
    await openEdit("nightly");
    await click("Part size: 19MiB", /Largest size of one part/);
    expect(await send("49MiB", /is above the 20 MB/)).toContain('parts stored in "channel" could never be read back');
    expect(await send("10MiB", /changed:/)).toContain("• Part size: 19MiB → 10MiB");

    await openEdit("nightly");
    await click("Encryption: none", /Encrypt the backup files/);
    await click("A passphrase", /at least 12 characters/);
    await send("amber canyon whistle forty", /once more/);
    const encrypted = await send("amber canyon whistle forty", /changed:/);
    expect(encrypted).toContain("• Encryption: none → passphrase");

    await openEdit("nightly");
    await click("Retention: everything", /How many backups should be kept/);
    expect(await click("The 7 latest", /changed:/)).toContain("• Retention: everything → last 7");

    await openEdit("nightly");
    await click("Time zone: UTC", /Time zone of the schedule/);
    // A city name is enough (src/shared/zones.ts).
    expect(await send("Moscow", /changed:/)).toContain("• Time zone: UTC (default) → Europe/Moscow");

    // The scheduler is told (deps.jobsChanged reloads it in the app).
    let reloads = 0;
    h.deps.jobsChanged = () => void reloads++;
    await openEdit("nightly");
    await click("Schedule: 0 3 * * *", /When should it run/);
    await send("15 4 * * *", /Schedule 15 4 \* \* \* in Europe\/Moscow/);
    expect(await click("Looks right", /changed:/)).toContain("• Schedule: 0 3 * * * → 15 4 * * *");
    expect(reloads).toBe(1);

    await openEdit("nightly");
    await click("Restore drills: Off", /Restore drills:/);
    expect(await click("Weekly", /changed:/)).toContain("• Restore drills: Off → Weekly (Sunday 04:00)");

    await openEdit("nightly");
    await click("Success messages", /Where should success messages go/);
    await click("Another chat", /Send the chat id/);
    await send(String(groupId), /Topic \(thread\) id/);
    expect(await click("No topic", /changed:/)).toContain(`• Success messages: The destination chats → ${groupId}`);

    await openEdit("nightly");
    await click("Failure alerts", /Where should failure alerts go/);
    await click("Another chat", /Send the chat id/);
    await send(String(groupId), /Topic \(thread\) id/);
    expect(await send("42", /changed:/)).toContain(`• Failure alerts: The destination chats → ${groupId}, topic 42`);

    await openEdit("nightly");
    await click("Name: nightly", /Name for the job/);
    expect(await send("nightly-2", /changed:/)).toContain("• Name: nightly → nightly-2");

    await openEdit("nightly-2");
    await click("Source: app-db", /Which source should this job back up/);
    expect(await click("other-db", /changed:/)).toContain("• Source: app-db → other-db");

    // The configuration as code shows every change.
    const exported = await h.ws.cli(["config", "export"]);
    expect(exported.code, exported.stderr).toBe(0);
    const jobs = (parse(exported.stdout) as { jobs: Array<Record<string, unknown>> }).jobs;
    expect(jobs).toEqual([
      expect.objectContaining({
        name: "nightly-2",
        source: "other-db",
        destinations: ["disk", "channel"],
        schedule: "15 4 * * *",
        timezone: "Europe/Moscow",
        format: "custom",
        compression: "zstd",
        encryption: { passphrase: "***" },
        part_size: "10MiB",
        retention: { keep_last: 7 },
        notify: { success: { chat_id: String(groupId) }, failure: { chat_id: String(groupId), thread_id: 42 } },
        drill: { schedule: "weekly" },
      }),
    ]);
    expect(await h.app.jobs.passphraseFor("nightly-2")).toBe("amber canyon whistle forty");
    expect(h.fake.allTextSent().some((t) => t.includes("amber canyon whistle forty"))).toBe(false);
  });

  it("a new source of another kind takes the format it can make", async () => {
    await openEdit("nightly-2");
    await click("Source: other-db", /Which source/);
    await click("ledger", /changed:/);
    expect(h.app.jobs.get("nightly-2")).toMatchObject({ source: "ledger", format: "tar" });
  });

  it("a change the other settings cannot take is refused with the reason, and the setting at fault is asked for", async () => {
    h.app.jobs.create({ name: "big", source: "ledger", destinations: ["disk"], schedule: "0 3 * * *", part_size: "30MiB" });
    await openEdit("big");
    await click("Destinations: disk", /Where should the backups go/);
    await h.press(lastPrompt(), "channel");
    const refused = await click("Done", /Not saved/);
    expect(refused).toContain('part_size: 30 MiB is above the 20 MB a bot can download from the cloud Bot API (destination "channel")');
    expect(h.app.jobs.get("big").destinations).toEqual(["disk"]);
    const saved = await send("10MiB", /changed:/);
    expect(saved).toContain("• Destinations: disk → disk, channel");
    expect(saved).toContain("• Part size: 30MiB → 10MiB");
    expect(h.app.jobs.get("big")).toMatchObject({ destinations: ["disk", "channel"], part_size: 10 * 1024 * 1024 });
  });

  it("refuses a weak passphrase and a second one that differs, deleting every message that carried one", async () => {
    h.app.jobs.create({ name: "vault", source: "ledger", destinations: ["disk"], schedule: "0 5 * * *" });
    await openEdit("vault");
    await click("Encryption: none", /Encrypt the backup files/);
    await click("A passphrase", /at least 12 characters/);
    const sent: number[] = [];
    const secret = async (text: string, re: RegExp) => {
      const after = seq();
      const update = h.fake.sendUserMessage(ADMIN_ID, text);
      sent.push(update.message!.message_id);
      const said = await botSaid(after, re);
      await h.fake.updateConfirmed(update);
      await h.idle();
      return said;
    };
    expect(await secret("short-one", /too short/)).toContain("That passphrase is too short: it needs at least 12 characters.");
    expect(await secret("123456789012", /too easy/)).toContain("That passphrase is too easy to guess");
    expect(await secret("abcabcabcabcabc", /too easy/)).toContain("too easy to guess");
    await secret("copper river night owl", /once more/);
    expect(await secret("copper river night 0wl", /differ/)).toContain("The two passphrases differ");
    await secret("copper river night owl", /once more/);
    expect(await secret("copper river night owl", /changed:/)).toContain("• Encryption: none → passphrase");

    expect(await h.app.jobs.passphraseFor("vault")).toBe("copper river night owl");
    for (const id of sent) expect(h.fake.deletedMessageIds(ADMIN_ID)).toContain(id);
    for (const text of ["short-one", "123456789012", "copper river night"]) {
      expect(h.fake.allTextSent().some((t) => t.includes(text))).toBe(false);
      expect(h.logLines.some((l) => l.includes(text))).toBe(false);
    }
  });

  it("warns before backups go unencrypted to a Telegram chat; the admin may still go on", async () => {
    h.app.jobs.create({ name: "to-channel", source: "ledger", destinations: ["channel"], schedule: "0 6 * * *", encryption: { passphrase: "channel-Passphrase-MIKE" } });
    await openEdit("to-channel");
    await click("Encryption: passphrase", /Encrypt the backup files/);
    const warning = await click("No encryption", /Without encryption/);
    expect(warning).toContain("anyone who can read channel can open these backups");
    // "Choose encryption" goes back to the question; nothing is saved yet.
    await click("Choose encryption", /Encrypt the backup files/);
    expect(h.app.jobs.get("to-channel").encryption).toEqual({ passphrase: "***" });
    await click("No encryption", /Without encryption/);
    const saved = await click("Go on without encryption", /changed:/);
    expect(saved).toContain("• Encryption: passphrase → none");
    expect(saved).toContain("⚠️ Not encrypted: anyone who can read channel can open these backups.");
    expect(h.app.jobs.get("to-channel").encryption).toBeNull();
  });

  it("after a passphrase change, a backup made before it still restores", async () => {
    h.app.jobs.create({ name: "ledger", source: "ledger", destinations: ["disk"], schedule: "0 3 * * *", encryption: { passphrase: OLD } });
    const before = await h.app.runner.run(await h.app.jobs.resolve("ledger"), { trigger: "manual" });
    expect(before.status).toBe("success");

    await openEdit("ledger");
    await click("Encryption: passphrase", /Encrypt the backup files/);
    await click("A passphrase", /at least 12 characters/);
    await send(NEW, /once more/);
    const changed = await send(NEW, /changed:/);
    expect(changed).toContain("• Encryption: a new passphrase");
    expect(changed).toContain("Backups made before keep the passphrase they were made with");
    expect(await h.app.jobs.passphraseFor("ledger")).toBe(NEW);

    writeFileSync(path.join(ledgerDir, "ledger.txt"), "balance 250\n");
    const after = await h.app.runner.run(await h.app.jobs.resolve("ledger"), { trigger: "manual" });
    expect(after.status).toBe("success");

    for (const [run, content] of [[before.runId, "opening balance 100"], [after.runId, "balance 250"]] as const) {
      const docs = h.fake.documents(ADMIN_ID).length;
      const pick = await h.say("/restore");
      await h.press(pick, "ledger");
      await h.press(pick, `#${run} `);
      await h.press(pick, "Send me the file");
      const doc = await h.fake.waitFor(() => h.fake.documents(ADMIN_ID)[docs], 30_000, `the restored file of run ${run}`);
      expect((await h.fake.downloadFile(doc.document!.file_id)).toString("utf8")).toContain(content);
    }
  });

  it("after a change of age keys, a backup made to the old key restores with the old private key", async () => {
    const [oldKey, newKey] = [await generateIdentity(), await generateIdentity()];
    h.app.jobs.create({ name: "sealed", source: "ledger", destinations: ["disk"], schedule: "0 3 * * *", encryption: { recipients: [await identityToRecipient(oldKey)] } });
    writeFileSync(path.join(ledgerDir, "ledger.txt"), "sealed balance 300\n");
    const before = await h.app.runner.run(await h.app.jobs.resolve("sealed"), { trigger: "manual" });
    expect(before.status).toBe("success");

    await openEdit("sealed");
    await click("Encryption: age (one key)", /Encrypt the backup files/);
    await click("age public keys", /Send one or more age public keys/);
    const changed = await send(await identityToRecipient(newKey), /changed:/);
    expect(changed).toContain("• Encryption: new keys");
    expect(changed).toContain("Backups made before stay encrypted to the previous keys");
    expect(h.app.jobs.get("sealed").encryption).toEqual({ recipients: [await identityToRecipient(newKey)] });

    const docs = h.fake.documents(ADMIN_ID).length;
    const pick = await h.say("/restore");
    await h.press(pick, "sealed");
    await h.press(pick, `#${before.runId} `);
    await h.press(pick, "Send me the file");
    await h.waitForText((t) => t.includes("Send the private key"));
    h.fake.sendUserMessage(ADMIN_ID, oldKey);
    const doc = await h.fake.waitFor(() => h.fake.documents(ADMIN_ID)[docs], 30_000, "the restored file of the run made before the change");
    expect((await h.fake.downloadFile(doc.document!.file_id)).toString("utf8")).toContain("sealed balance 300");
  });

  it("speaks Russian to an admin who chose it", async () => {
    h.app.jobs.create({ name: "ru-job", source: "ledger", destinations: ["disk"], schedule: "0 3 * * *", compression: "none", retention: { keep_last: 7, max_age_days: 30 } });
    h.app.settings.set(`lang.${ADMIN_ID}`, "ru");
    try {
      const list = await h.say("/jobs");
      await h.press(list, "ru-job");
      await h.press(list, "Изменить настройки");
      const prompt = lastPrompt();
      expect(prompt.text).toBe("Какую настройку изменить?");
      expect(buttonsOf(prompt)).toEqual(expect.arrayContaining(["Сжатие: без сжатия", "Шифрование: нет", "Хранение: последние 7, не старше 30 дней", "Размер части: 19MiB", "◀ Назад"]));
      await click("Шифрование: нет", /Шифровать файлы копий/);
      await click(/Парольная фраза/, /не меньше 12 символов/);
      expect(await send("1234567890123", /слишком легко подобрать/)).toContain("Такую парольную фразу слишком легко подобрать");
      await send("/cancel", /Отмен/);
    } finally {
      h.app.settings.set(`lang.${ADMIN_ID}`, "en");
    }
  });
});
