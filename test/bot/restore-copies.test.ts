import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_ID, startHarness, type Harness } from "./harness.js";

const CHANNEL = -1007777777777;

/** Issue 9, item 6 in the bot: /restore takes each part from whichever copy is intact. */
describe("/restore with a damaged copy", () => {
  let h: Harness;
  let payload: Buffer;

  beforeAll(async () => {
    h = await startHarness();
    h.fake.createChannel({ id: CHANNEL, title: "Backups" });
    const dir = path.join(h.ws.dir, "blobs");
    mkdirSync(dir);
    payload = randomBytes(2_500_000);
    writeFileSync(path.join(dir, "blob.bin"), payload);
    h.app.sources.create({ name: "blobs", kind: "directory", path: dir });
    h.app.destinations.create({ name: "disk", kind: "local", path: h.backupsDir });
    h.app.destinations.create({ name: "channel", kind: "telegram", chat_id: String(CHANNEL), bot_token: h.fake.token });
    h.app.jobs.create({ name: "blobs", source: "blobs", destinations: ["disk", "channel"], schedule: "0 3 * * *", compression: "none", part_size: "1MiB" });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A fresh run; then one byte of each listed copy is flipped. */
  async function backupWithBadCopies(bad: Array<["disk" | "channel", number]>): Promise<number> {
    const result = await h.app.runner.run(await h.app.jobs.resolve("blobs"), { trigger: "manual" });
    expect(result.status).toBe("success");
    const diskId = h.app.destinations.get("disk").id;
    for (const [where, index] of bad) {
      const part = h.app.runs.liveParts(result.runId).find((p) => p.partIndex === index && (p.destinationId === diskId) === (where === "disk"))!;
      const file = where === "disk" ? part.locator! : h.fake.filePath(part.fileId!);
      const bytes = readFileSync(file);
      bytes[777] = bytes[777]! ^ 0xff;
      writeFileSync(file, bytes);
    }
    return result.runId;
  }

  /** /restore → the run → "Send me the file"; the restored tar and the bot's messages after the pick. */
  async function restoreAsFile(runId: number) {
    const before = h.fake.documents(ADMIN_ID).length;
    const pick = await h.say("/restore");
    await h.press(pick, "blobs");
    await h.press(pick, `#${runId} `);
    await h.press(pick, "Send me the file");
    const doc = await h.fake.waitFor(() => h.fake.documents(ADMIN_ID)[before], 60_000, "the restored file");
    const tar = await h.fake.downloadFile(doc.document!.file_id);
    expect(tar.includes(payload.subarray(0, 4096))).toBe(true);
    expect(tar.includes(payload.subarray(payload.length - 4096))).toBe(true);
    await h.idle();
    return h.fake.messages(ADMIN_ID).filter((m) => m.message_id > pick.message_id && m.sent_by_bot !== undefined).map((m) => m.text ?? m.caption ?? "");
  }

  const NOTE = "⚠️ Some stored copies were damaged or unreachable; the restore took those parts from another destination:";

  /** The newest "copies passed over" note, once there are more than `before`. */
  const nextNote = (before: number) =>
    h.fake.waitFor(() => {
      const all = h.fake.messages(ADMIN_ID).filter((m) => (m.text ?? "").startsWith(NOTE));
      return all.length > before ? all.at(-1)!.text : undefined;
    }, 20_000, "the note about the copies passed over");
  const notesSoFar = () => h.fake.messages(ADMIN_ID).filter((m) => (m.text ?? "").startsWith(NOTE)).length;

  it("restores from the channel when part 2 in the local folder is corrupt, and says which copy it passed over", async () => {
    const before = notesSoFar();
    const runId = await backupWithBadCopies([["disk", 2]]);
    const said = await restoreAsFile(runId);
    expect(said.some((t) => t.startsWith(`✅ Backup #${runId} restored as`))).toBe(true);
    expect(await nextNote(before)).toBe(`${NOTE}\n• disk, part 2: corrupt (sha256 does not match)`);
  });

  it("with part 2 corrupt in the channel and part 3 corrupt locally, takes each part from its intact copy", async () => {
    const before = notesSoFar();
    const runId = await backupWithBadCopies([["channel", 2], ["disk", 3]]);
    await restoreAsFile(runId);
    // the folder's part 2 was intact, so the channel's damaged part 2 was never needed
    expect(await nextNote(before)).toBe(`${NOTE}\n• disk, part 3: corrupt (sha256 does not match)`);
  });
});
