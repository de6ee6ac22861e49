import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredMessage } from "../fake-telegram/state.js";
import { ADMIN_ID, buttonsOf, startHarness, type Harness } from "./harness.js";
import { editedSince, requestSeq } from "./edited.js";

/**
 * A 4096-character answer (Telegram's longest message) at every typed prompt of every dialog:
 * the bot says how long the limit is, the dialog goes on, and the secret prompts drop such an
 * answer as well. Before the limit the echo ("Testing the connection to …") overflowed
 * Telegram's message limit and killed the dialog.
 */
describe("answers longer than a prompt takes", () => {
  let h: Harness;
  const LONG = "x".repeat(4096);

  beforeAll(async () => {
    h = await startHarness();
    h.app.sources.create({ name: "files", kind: "directory", path: h.backupsDir });
    h.app.destinations.create({ name: "backups", kind: "local", path: h.backupsDir });
  });
  afterAll(async () => h?.close());

  const botMessages = (): StoredMessage[] => h.fake.messages(ADMIN_ID).filter((m) => m.sent_by_bot !== undefined);
  /** Request seq when `maxId()` was last taken: a prompt the bot edits after it counts as a new message. */
  let markSeq = 0;
  const maxId = (): number => {
    markSeq = requestSeq(h.fake);
    return Math.max(0, ...h.fake.messages(ADMIN_ID, { includeDeleted: true }).map((m) => m.message_id));
  };
  const lastPrompt = (): StoredMessage => botMessages().filter((m) => buttonsOf(m).length > 0).at(-1)!;
  const waitBot = (after: number, re: RegExp): Promise<StoredMessage> =>
    h.fake.waitFor(
      () => botMessages().find((m) => (m.message_id > after || editedSince(h.fake, markSeq).has(m.message_id)) && re.test(m.text ?? "")),
      20_000,
      `a bot message matching ${re} (last: ${JSON.stringify(botMessages().slice(-3).map((m) => m.text?.slice(0, 200)))})`,
    );
  const send = async (text: string, next: RegExp): Promise<StoredMessage> => {
    const after = maxId();
    const update = h.fake.sendUserMessage(ADMIN_ID, text);
    const reply = await waitBot(after, next);
    await h.fake.updateConfirmed(update);
    await h.idle();
    return reply;
  };
  const click = async (label: string | RegExp, next: RegExp, on?: StoredMessage): Promise<StoredMessage> => {
    const after = maxId();
    await h.press(on ?? lastPrompt(), label);
    return waitBot(after, next);
  };
  /** The 4096-character answer first (refused with the limit), then the real one. */
  const answer = async (text: string, next: RegExp): Promise<StoredMessage> => {
    const refused = await send(LONG, /limit here is 1024/);
    expect(refused.text).toContain("4096 characters");
    expect(refused.text!.length).toBeLessThan(4096);
    return send(text, next);
  };

  it("/newsource: every typed prompt, the password included", async () => {
    await send("/newsource", /What do you want to back up/);
    await click("PostgreSQL", /Host name/);
    await answer("127.0.0.1", /Port/);
    await answer("5432", /Name of the database/);
    await answer("app", /User name/);
    await answer("postgres", /Password of postgres/);
    await answer("a-real-password", /Got it/);
    const before = maxId();
    await answer("long-src", /Testing the connection/);
    await waitBot(before, /Review the new source/); // trust auth here: any password passes
    await click("💾 Save", /Source "long-src" saved/);
  });

  it("/newsource: the SQLite path, the folder path and the Docker volume name", async () => {
    await send("/newsource", /What do you want to back up/);
    await click("SQLite file", /Absolute path of the SQLite file/);
    await answer(`${h.backupsDir}/notes.sqlite`, /Name for this source/);
    await send("/cancel", /Cancelled/);
    await send("/newsource", /What do you want to back up/);
    await click("Folder", /Absolute path of the folder/);
    await answer(h.backupsDir, /Anything in it to leave out/);
    await answer("*.log, cache/, tmp/**", /Name for this source/);
    await send("/cancel", /Cancelled/);
    await send("/newsource", /What do you want to back up/);
    await click("Docker volume", /Name of the Docker volume/);
    await answer("tb_long_answers_volume", /Name for this source/);
    await send("/cancel", /Cancelled/);
  });

  it("/newdest: folder path and name; chat id and topic of a Telegram destination", async () => {
    await send("/newdest", /Where should backups be delivered/);
    await click("Folder on this server", /Absolute path of the folder/);
    await answer(h.backupsDir, /Name for this destination/);
    const saved = maxId();
    await answer("long-dest", /Testing folder/);
    await waitBot(saved, /Review the new destination/);
    await click("💾 Save", /Destination "long-dest" saved/);

    // A forum group: only forums are asked for a topic.
    const channel = h.fake.createGroup({ title: "Long answers", isForum: true });
    await send("/newdest", /Where should backups be delivered/);
    await click("Telegram channel or group", /Which chat\?/);
    await answer(String(channel.id), /Forum topic/);
    await send(LONG, /limit here is 1024/);
    await click("No topic", /Which bot should post/);
    await click("Another bot", /token of the other bot/);
    const tokenRefused = await send(LONG, /limit here is 1024/);
    expect(h.fake.deletedMessageIds(ADMIN_ID).length).toBeGreaterThan(0); // the secret answer was deleted all the same
    expect(tokenRefused.text).not.toContain("xxxxxxxxxx");
    await send("/cancel", /Cancelled/);
    await send("/newdest", /Where should backups be delivered/);
    await click("Telegram channel or group", /Which chat\?/);
    await send(String(channel.id), /Forum topic/);
    await click("No topic", /Which bot should post/);
    await click("This bot", /Mirror chat\?/);
    await click("No mirror", /Name for this destination/);
    const before = maxId();
    await answer("long-channel", /Testing chat/);
    await waitBot(before, /Review the new destination/);
    await click("💾 Save", /Destination "long-channel" saved/);
  });

  it("/newjob: name, time zone, cron, recipients, part size, retention rule", async () => {
    await send("/newjob", /Which source/);
    await click("files", /Where should the backups go/);
    const picker = lastPrompt();
    await h.press(picker, "backups");
    await click("Done", /Name for the job/, picker);
    await answer("long-job", /Time zone/);
    await answer("UTC", /When should it run/);
    await click("Custom cron", /Send a cron expression/);
    await answer("0 4 * * *", /next runs/);
    await click("Looks right", /Compression/);
    await click("gzip", /Encrypt/);
    await click("age public keys", /age public keys/);
    await answer("age1notakey", /is not an age public key/);
    await send("/cancel", /Cancelled/);
    await send("/newjob", /Which source/);
    await click("files", /Where should the backups go/);
    const picker2 = lastPrompt();
    await h.press(picker2, "backups");
    await click("Done", /Name for the job/, picker2);
    await send("long-job", /Time zone/);
    await click("UTC (default)", /When should it run/);
    await click("Daily…", /At what time/);
    await click("03:00", /next runs/);
    await click("Looks right", /Compression/);
    await click("gzip", /Encrypt/);
    await click("No encryption", /Largest size/);
    await answer("8MiB", /How many backups/);
    await click("Custom rule", /Send the rule/);
    await answer("keep_last=3", /success messages/);
    await click("The destination chats", /failure alerts/);
    const group = h.fake.createGroup({ title: "ops", isForum: true, topics: [42] });
    await click("Another chat", /Send the chat id/);
    await answer(String(group.id), /Topic \(thread\) id/);
    await answer("42", /Testing chat/);
    await waitBot(0, /Review the new job/);
    await click("Create the job", /Job "long-job" created/);
    expect(h.app.jobs.getByName("long-job")).toMatchObject({ part_size: 8 * 1024 * 1024, retention: { keep_last: 3 } });
  });
});
