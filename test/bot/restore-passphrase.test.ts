import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_ID, startHarness, type Harness } from "./harness.js";

const OLD = "old-Bot-Passphrase-DELTA";
const NEW = "new-Bot-Passphrase-ECHO";

/**
 * Issue 9, item 8 in the bot: a run made before the job's passphrase changed restores with the
 * passphrase stored with it; when that one no longer opens it (its file: reference now holds
 * another value), the bot asks for it and deletes the message that carried it.
 */
describe("/restore after a passphrase rotation", () => {
  let h: Harness;
  let secretFile: string;
  let oldRun: number;

  beforeAll(async () => {
    h = await startHarness();
    const dir = path.join(h.ws.dir, "ledger");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "ledger.txt"), "opening balance 100\n");
    secretFile = path.join(h.ws.dir, "backup_passphrase");
    writeFileSync(secretFile, `${OLD}\n`);
    h.app.sources.create({ name: "ledger", kind: "directory", path: dir });
    h.app.destinations.create({ name: "disk", kind: "local", path: h.backupsDir });
    h.app.jobs.create({ name: "ledger", source: "ledger", destinations: ["disk"], schedule: "0 3 * * *", encryption: { passphrase: `file:${secretFile}` } });
    const first = await h.app.runner.run(await h.app.jobs.resolve("ledger"), { trigger: "manual" });
    expect(first.status).toBe("success");
    oldRun = first.runId;
    // the rotation: the job now encrypts with another passphrase
    h.app.jobs.update("ledger", { encryption: { passphrase: NEW } });
    writeFileSync(path.join(dir, "ledger.txt"), "balance 250\n");
    expect((await h.app.runner.run(await h.app.jobs.resolve("ledger"), { trigger: "manual" })).status).toBe("success");
  });
  afterAll(async () => {
    await h?.close();
  });

  async function restoreOldRunAsFile() {
    const pick = await h.say("/restore");
    await h.press(pick, "ledger");
    await h.press(pick, `#${oldRun} `);
    await h.press(pick, "Send me the file");
    return pick;
  }

  it("restores the older run with the passphrase stored with it, without asking", async () => {
    const before = h.fake.documents(ADMIN_ID).length;
    await restoreOldRunAsFile();
    const doc = await h.fake.waitFor(() => h.fake.documents(ADMIN_ID)[before], 30_000, "the restored file");
    expect((await h.fake.downloadFile(doc.document!.file_id)).toString("utf8")).toContain("opening balance 100");
  });

  it("asks for the passphrase when the stored one no longer opens the run, deletes the answers and restores", async () => {
    writeFileSync(secretFile, "the-file-now-holds-another-value\n");
    const before = h.fake.documents(ADMIN_ID).length;
    const pick = await restoreOldRunAsFile();
    const prompt = await h.waitForText((t) => t.includes("Send the passphrase the backup was made with") && h.lastBotMessageId() > pick.message_id);
    expect(prompt.text).toBe(
      `🔑 The passphrase kept with backup #${oldRun} does not open it (it was probably changed since). Send the passphrase the backup was made with. I delete your message at once and keep it only for this restore. /cancel stops here.`,
    );

    const wrong = h.fake.sendUserMessage(ADMIN_ID, NEW);
    const retry = await h.fake.waitForBotMessage(ADMIN_ID, { after: wrong.message!.message_id });
    expect(retry.text).toBe(`That passphrase does not open backup #${oldRun}. I deleted your message; send the right one, or /cancel.`);
    expect(h.fake.deletedMessageIds(ADMIN_ID)).toContain(wrong.message!.message_id);

    const right = h.fake.sendUserMessage(ADMIN_ID, OLD);
    const doc = await h.fake.waitFor(() => h.fake.documents(ADMIN_ID)[before], 30_000, "the restored file");
    expect(h.fake.deletedMessageIds(ADMIN_ID)).toContain(right.message!.message_id);
    expect((await h.fake.downloadFile(doc.document!.file_id)).toString("utf8")).toContain("opening balance 100");

    // The passphrases went nowhere: not into a bot message, the logs or the bot's storage.
    for (const secret of [OLD, NEW]) {
      expect(h.fake.allTextSent().some((t) => t.includes(secret))).toBe(false);
      expect(h.logLines.some((l) => l.includes(secret))).toBe(false);
      expect(JSON.stringify(h.app.db.$client.prepare("select * from bot_storage").all())).not.toContain(secret);
    }
  });

  it("/cancel at the passphrase prompt leaves it", async () => {
    const pick = await restoreOldRunAsFile();
    await h.waitForText((t) => t.includes("Send the passphrase the backup was made with") && h.lastBotMessageId() > pick.message_id);
    expect((await h.say("/cancel")).text).toBe("✖ Cancelled.");
    expect((await h.say("hello")).text).toContain("/help");
  });
});
