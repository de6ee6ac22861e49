import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/bot/commands.js";
import { ADMIN_ID, startHarness, type Harness } from "./harness.js";

describe("bot access, commands and languages", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    // Things a stranger must never learn about.
    h.app.sources.create({ name: "secret-billing-db", kind: "directory", path: h.backupsDir });
    h.app.destinations.create({ name: "vault-folder", kind: "local", path: h.backupsDir });
    h.app.jobs.create({ name: "nightly-billing", source: "secret-billing-db", destinations: ["vault-folder"], schedule: "0 3 * * *" });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("registers the command menu for the admin's private chat only; strangers (the default scope) see none", async () => {
    for (const languageCode of [undefined, "en", "ru"]) expect(h.fake.commands({ languageCode })).toEqual([]);
    const menu = () => h.fake.commands({ scope: { type: "chat", chat_id: ADMIN_ID } });
    await h.fake.waitFor(() => menu().length > 0, 10_000, "the admin's menu");
    expect(menu().map((c) => c.command)).toEqual([...COMMANDS]);
    expect(menu().find((c) => c.command === "restore")?.description).toBe("Restore a backup");
  });

  it("gives a non-admin one polite refusal and nothing else, and logs the attempts", async () => {
    const stranger = h.fake.createUser({ id: 222, firstName: "Mallory", languageCode: "en" });
    const updates = ["/start", "/jobs", "/sources", "/status", "/restore", "hello?", "/runnow nightly-billing"].map((text) =>
      h.fake.sendUserMessage(stranger.id, text),
    );
    for (const u of updates) await h.fake.updateConfirmed(u);
    await h.idle();
    const fromBot = h.fake.messages(stranger.id).filter((m) => m.sent_by_bot !== undefined);
    expect(fromBot).toHaveLength(1);
    expect(fromBot[0]!.text).toContain("private bot");
    expect(fromBot[0]!.reply_markup).toBeUndefined();
    const everything = JSON.stringify(h.fake.requests.filter((r) => String(r.params.chat_id) === String(stranger.id)).map((r) => r.params));
    for (const secret of ["secret-billing-db", "vault-folder", "nightly-billing", h.backupsDir]) expect(everything).not.toContain(secret);
    const refusals = h.logLines.filter((l) => l.includes("access refused") && l.includes('"userId":222'));
    expect(refusals.length).toBe(updates.length);
    // Nothing was run for the stranger.
    expect(h.app.runs.list()).toHaveLength(0);
  });

  it("ignores group messages and channel posts, even from an admin", async () => {
    const group = h.fake.createGroup({ title: "team" });
    const u = h.fake.sendUserMessage(ADMIN_ID, "/jobs", { chatId: group.id });
    await h.fake.updateConfirmed(u);
    // A later private message is answered, so the group message was processed (and ignored) first.
    const reply = await h.say("/help");
    expect(reply.text).toContain("/newjob");
    expect(h.fake.messages(group.id).filter((m) => m.sent_by_bot !== undefined)).toHaveLength(0);
  });

  it("acts only in the sender's own private chat: an admin's update from someone else's private chat is ignored", async () => {
    const other = h.fake.createUser({ firstName: "Mallory" });
    const refusalsBefore = h.logLines.filter((l) => l.includes("access refused")).length;
    const u = h.fake.sendUserMessage(ADMIN_ID, "/jobs", { chatId: other.id });
    await h.fake.updateConfirmed(u);
    const reply = await h.say("/help");
    expect(reply.text).toContain("/newjob");
    expect(h.fake.messages(other.id).filter((m) => m.sent_by_bot !== undefined)).toHaveLength(0);
    expect(h.logLines.filter((l) => l.includes("access refused")).length).toBe(refusalsBefore);
  });

  it("/help lists every command, the dialogs included", async () => {
    const help = await h.say("/help");
    for (const c of COMMANDS) expect(help.text).toContain(`/${c} — `);
  });

  it("/lang switches to Russian and the choice survives a restart", async () => {
    const picker = await h.say("/lang");
    expect(picker.text).toBe("Choose your language:");
    await h.press(picker, "Русский");
    expect(h.current(picker.message_id).text).toContain("по-русски");
    expect(h.app.settings.get(`lang.${ADMIN_ID}`)).toBe("ru");

    await h.restart();
    const help = await h.say("/help");
    expect(help.text).toContain("Команды Tele-Backup");
    expect(help.text).toContain("/restore — Восстановить из копии");
    const jobs = await h.say("/jobs");
    expect(jobs.text).toContain("Задания (1)");

    // and back
    await h.say("/lang en");
    expect((await h.say("/jobs")).text).toContain("Jobs (1)");
  });

  it("answers unknown input with a hint", async () => {
    expect((await h.say("/frobnicate")).text).toContain("/help");
    expect((await h.say("just some words")).text).toContain("/help");
  });
});
