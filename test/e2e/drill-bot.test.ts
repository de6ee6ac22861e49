import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_ID, buttonsOf, startHarness, type Harness } from "../bot/harness.js";
import { writeTree } from "../helpers/tree.js";

/**
 * Issue 14, item 1, in the bot: /newjob offers restore drills (off by default, weekly through
 * "Change a setting"), the job card shows the drill schedule and the last proven restore, and
 * "🧪 Drill now" runs a drill whose result is shown in the chat.
 */
describe("restore drills in the bot", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    const tree = path.join(h.ws.dir, "tree");
    await writeTree(tree, { "one.txt": "1\n", "dir/two.txt": "22\n" });
    h.app.sources.create({ name: "files", kind: "directory", path: tree });
    h.app.destinations.create({ name: "folder", kind: "local", path: h.backupsDir });
  });
  afterAll(async () => {
    await h?.close();
  });

  const lastWithButtons = () => h.fake.messages(ADMIN_ID).filter((m) => m.sent_by_bot !== undefined && buttonsOf(m).length > 0).at(-1)!;
  const click = async (label: string | RegExp, expect: (text: string) => boolean) => {
    const after = h.lastBotMessageId();
    const on = lastWithButtons();
    await h.press(on, label);
    return h.fake.waitFor(
      () => h.fake.messages(ADMIN_ID).find((m) => m.sent_by_bot !== undefined && (m.message_id > after || m.message_id === on.message_id) && expect(m.text ?? "")),
      20_000,
      `after "${String(label)}"`,
    );
  };

  it("/newjob: drills are off in the summary, and turned on weekly through Change a setting", async () => {
    await h.say("/newjob");
    await click("files", (t) => /Where should the backups go/.test(t));
    const picker = lastWithButtons();
    await h.press(picker, "folder");
    await click("Done", (t) => /Name for the job/.test(t));
    await h.say("files-job");
    await click("UTC (default)", (t) => /When should it run/.test(t));
    await click("Every 6 hours", (t) => /next runs/.test(t));
    await click("Looks right", (t) => /Compression/.test(t));
    await click("none", (t) => /Encrypt/.test(t));
    await click("No encryption", (t) => /Largest size/.test(t));
    await h.say("8MiB");
    await click("Keep everything", (t) => /success messages/.test(t));
    await click("The destination chats", (t) => /failure alerts/.test(t));
    const summary = await click("The destination chats", (t) => /Review the new job/.test(t));
    expect(summary.text).toContain("Restore drills: off");
    await click("Change a setting", (t) => /Which setting/.test(t));
    await click("Restore drills", (t) => /Restore drills: restore the newest backup/.test(t));
    const again = await click("Weekly", (t) => /Review the new job/.test(t) && t.includes("Restore drills: weekly"));
    expect(again.text).toContain("Restore drills: weekly (Sunday 04:00)");
    await click("Create the job", (t) => /Job "files-job" created/.test(t));
    expect(h.app.jobs.findRow("files-job")?.drill).toEqual({ schedule: "weekly" });
  });

  it("the job card: drill schedule, never proven, then 🧪 Drill now proves it", async () => {
    const job = h.app.jobs.findRow("files-job")!;
    const run = await h.app.runner.run(await h.app.jobs.resolve(job.id), { trigger: "manual" });
    expect(run.status).toBe("success");
    await h.say("/jobs");
    const card = await click("files-job", (t) => t.includes("Drill: weekly"));
    expect(card.text).toContain("Last proven restorable: never");
    expect(buttonsOf(card)).toContain("🧪 Drill now");
    await h.press(card, "Drill now");
    const result = await h.waitForText((t) => t.startsWith("✅ Restore drill passed: files-job"));
    expect(result.text).toContain("2 files");
    expect(h.app.drillsRepo.lastProvenRestorable(job.id)).toMatchObject({ trigger: "manual", status: "passed" });
    await h.say("/jobs");
    const after = await click("files-job", (t) => t.includes("Drill: weekly") && t.includes("Last proven restorable: 2"));
    expect(after.text).toMatch(/Last proven restorable: \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  });
});
