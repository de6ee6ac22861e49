import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";
import { ADMIN_ID, startHarness, type Harness } from "./harness.js";

const CHANNEL = -1007777700012;

/** The same through the bot: /adopt by forwarding a channel post, then /restore. */
describe("/adopt in the bot", () => {
  let h: Harness;
  let old: Workspace;
  const runIds: number[] = [];
  const content = "the old host's file\n".repeat(100);

  beforeAll(async () => {
    h = await startHarness({ withNotifier: true });
    h.fake.createChannel({ id: CHANNEL, title: "Backups" });
    // another installation (the old host) backed up into the channel with the same bot
    old = createWorkspace({ BOT_TOKEN: h.fake.token, TELEGRAM_API_ROOT: h.fake.apiRoot, ADMIN_IDS: String(ADMIN_ID) });
    const files = path.join(old.dir, "files");
    mkdirSync(files);
    writeFileSync(path.join(files, "notes.txt"), content);
    const app: App = await old.app();
    try {
      app.sources.create({ name: "notes", kind: "directory", path: files });
      app.destinations.create({ name: "channel", kind: "telegram", chat_id: String(CHANNEL) });
      app.jobs.create({ name: "notes", source: "notes", destinations: ["channel"], schedule: "0 3 * * *", compression: "none" });
      app.jobs.create({ name: "vault", source: "notes", destinations: ["channel"], schedule: "0 5 * * *", encryption: { passphrase: "vault-passphrase" } });
      for (let i = 0; i < 2; i++) {
        const r = await app.executor.execute("notes", "manual");
        expect(r.status).toBe("success");
        runIds.push(r.runId);
      }
      expect((await app.executor.execute("vault", "manual")).status).toBe("success");
    } finally {
      app.close();
    }
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    old?.remove();
  });

  it("reads the catalog from a forwarded post, imports after Import, and the runs restore with /restore", async () => {
    const ask = await h.say("/adopt");
    expect(ask.text).toBe("Which chat holds the backups? Forward any post of that channel to me, or send its id (-100…) or @username.");
    const after = h.lastBotMessageId();
    h.fake.injectUpdate({
      message: {
        message_id: after + 1,
        date: h.fake.now(),
        chat: { id: ADMIN_ID, type: "private", first_name: "Ada" },
        from: { id: ADMIN_ID, is_bot: false, first_name: "Ada" },
        text: "a post",
        forward_origin: { type: "channel", chat: { id: CHANNEL, type: "channel", title: "Backups" }, message_id: 7, date: h.fake.now() },
      },
    } as never);
    const summary = await h.waitForText((t) => t.startsWith("🗂 Catalog of chat"));
    expect(summary.text).toContain(`🗂 Catalog of chat ${CHANNEL}`);
    expect(summary.text).toContain("2 jobs, 3 runs");
    expect(summary.text).toContain("• job vault (directory): created disabled; to set before enabling: the job's passphrase");
    expect(summary.text).toContain("• job notes (directory): created disabled; to set before enabling: —");
    for (const id of runIds) expect(summary.text).toMatch(new RegExp(`#${id} notes · .* · ✅ complete`));
    expect(h.app.runs.list()).toEqual([]);

    await h.press(summary, "Import");
    const done = await h.waitForText((t) => t.startsWith("✅ Imported"));
    expect(done.text).toMatch(/^✅ Imported 3 runs \(0 already here\) with destination "channel"\. Jobs created disabled: notes, vault\./);
    expect(done.text).toContain("🔐 vault stays disabled until the job's passphrase is set");
    expect(h.app.jobs.get("notes").enabled).toBe(false);
    const newest = h.app.runs.list().find((r) => r.jobName === "notes")!;

    // /restore → the job → the run → back into the chat as a file
    const before = h.fake.documents(ADMIN_ID).length;
    const pick = await h.say("/restore");
    await h.press(pick, "notes");
    await h.press(pick, `#${newest.id} `);
    await h.press(pick, "Send me the file");
    const doc = await h.fake.waitFor(() => h.fake.documents(ADMIN_ID)[before], 60_000, "the restored file");
    const tar = await h.fake.downloadFile(doc.document!.file_id);
    expect(tar.includes(Buffer.from(content))).toBe(true);

    // twice is harmless
    const again = await h.say(`/adopt ${CHANNEL}`);
    expect(again.text).toContain("· already imported");
  }, 120_000);

  it("asks for an adopted job's missing passphrase, refuses a wrong one, deletes the messages, then enables the job", async () => {
    const done = h.fake.messages(ADMIN_ID).filter((m) => (m.text ?? "").startsWith("✅ Imported 3 runs")).at(-1)!;
    expect(h.app.jobs.get("vault").enabled).toBe(false);
    await h.press(done, "Set the secrets of vault");
    const ask = await h.waitForText((t) => t.startsWith("🔐 Send the passphrase of job vault"));
    expect(ask.text).toContain("I delete your message at once");

    const wrong = await h.say("not-the-passphrase");
    expect(wrong.text).toMatch(/^That passphrase does not open backup #\d+ of vault: nothing was stored/);
    expect(h.app.jobs.get("vault").enabled).toBe(false);
    const right = await h.say("vault-passphrase");
    expect(right.text).toBe("✅ vault has its secrets and is enabled again.");
    expect(h.app.jobs.get("vault").enabled).toBe(true);
    // neither message stays in the chat
    const texts = h.fake.messages(ADMIN_ID).map((m) => m.text ?? "");
    expect(texts).not.toContain("vault-passphrase");
    expect(texts).not.toContain("not-the-passphrase");
  }, 60_000);
});
