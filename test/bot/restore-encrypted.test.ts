import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_ID, buttonsOf, startHarness, type Harness } from "./harness.js";

describe("/restore of encrypted backups", () => {
  let h: Harness;
  let identity: string;
  const passphrase = "correct horse battery staple";
  const runs: Record<string, number> = {};

  beforeAll(async () => {
    h = await startHarness();
    const dir = path.join(h.ws.dir, "notes");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "todo.txt"), "buy milk — купить молоко\n");
    identity = await generateIdentity();
    h.app.sources.create({ name: "notes", kind: "directory", path: dir });
    h.app.destinations.create({ name: "disk", kind: "local", path: h.backupsDir });
    h.app.jobs.create({ name: "sealed", source: "notes", destinations: ["disk"], schedule: "0 3 * * *", encryption: { recipients: [await identityToRecipient(identity)] } });
    h.app.jobs.create({ name: "locked", source: "notes", destinations: ["disk"], schedule: "0 3 * * *", encryption: { passphrase } });
    for (const job of ["sealed", "locked"]) {
      const result = await h.app.runner.run(await h.app.jobs.resolve(job), { trigger: "manual" });
      expect(result.status).toBe("success");
      runs[job] = result.runId;
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  it("asks for the age private key, deletes the message with it and sends the decrypted file", async () => {
    const pick = await h.say("/restore");
    await h.press(pick, "sealed");
    await h.press(pick, `#${runs.sealed} `);
    expect(buttonsOf(h.current(pick.message_id))).toEqual(["↩ notes (the original source)", "📎 Send me the file", "◀ Back"]);
    await h.press(pick, "Send me the file");
    const prompt = await h.waitForText((t) => t.includes("Send the private key"));
    expect(prompt.text).toContain(`Backup #${runs.sealed} is encrypted to an age public key`);

    const wrong = h.fake.sendUserMessage(ADMIN_ID, "my key is hunter2");
    const retry = await h.fake.waitForBotMessage(ADMIN_ID, { after: wrong.message!.message_id });
    expect(retry.text).toContain("That is not an age private key");
    expect(h.fake.deletedMessageIds(ADMIN_ID)).toContain(wrong.message!.message_id);

    const keyMsg = h.fake.sendUserMessage(ADMIN_ID, identity);
    const doc = await h.fake.waitFor(() => h.fake.documents(ADMIN_ID).at(-1), 30_000, "the restored file");
    expect(h.fake.deletedMessageIds(ADMIN_ID)).toContain(keyMsg.message!.message_id);
    expect(doc.document?.file_name).toMatch(/^sealed_\d{8}-\d{6}\.tar$/);
    const tar = await h.fake.downloadFile(doc.document!.file_id);
    expect(tar.toString("utf8")).toContain("buy milk — купить молоко");

    // The key went nowhere: not into a bot message, not into the logs, not into the database.
    expect(h.fake.allTextSent().some((t) => t.includes(identity))).toBe(false);
    expect(h.logLines.some((l) => l.includes(identity))).toBe(false);
    expect(JSON.stringify(h.app.db.$client.prepare("select * from bot_storage").all())).not.toContain("AGE-SECRET-KEY");
  });

  it("/cancel at the key prompt leaves it", async () => {
    const pick = await h.say("/restore");
    await h.press(pick, "sealed");
    await h.press(pick, `#${runs.sealed} `);
    await h.press(pick, "Send me the file");
    await h.waitForText((t) => t.includes("Send the private key") && h.lastBotMessageId() > pick.message_id);
    expect((await h.say("/cancel")).text).toBe("✖ Cancelled.");
    expect((await h.say("hello")).text).toContain("/help");
  });

  it("uses the job's stored passphrase without asking", async () => {
    const before = h.fake.documents(ADMIN_ID).length;
    const pick = await h.say("/restore");
    await h.press(pick, "locked");
    await h.press(pick, `#${runs.locked} `);
    await h.press(pick, "Send me the file");
    const doc = await h.fake.waitFor(() => h.fake.documents(ADMIN_ID)[before], 30_000, "the restored file");
    expect((await h.fake.downloadFile(doc.document!.file_id)).toString("utf8")).toContain("buy milk");
    expect(h.fake.allTextSent().some((t) => t.includes(passphrase))).toBe(false);
  });

  it("explains when there is nothing to restore", async () => {
    h.app.jobs.create({ name: "fresh-job", source: "notes", destinations: ["disk"], schedule: "0 3 * * *" });
    const pick = await h.say("/restore");
    await h.press(pick, "fresh-job");
    expect(h.current(pick.message_id).text).toBe("fresh-job has no successful backup that can be restored.");
  });
});
