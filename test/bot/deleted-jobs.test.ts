import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatTime } from "../../src/bot/format.js";
import { ADMIN_ID, buttonsOf, startHarness, type Harness } from "./harness.js";

/**
 * Deleting a job keeps its backups, as its confirmation promises: /restore and /logs reach
 * them under "Deleted jobs", and they restore. History screens show one zone, named, and
 * list runs by their sequence; a run's actions (restore, verify, send me the file) hang off /logs.
 */
describe("runs of deleted jobs, zones and run actions", () => {
  let h: Harness;
  let docs: string;
  const docsRuns: number[] = [];
  let keptRun: number;

  beforeAll(async () => {
    h = await startHarness();
    docs = path.join(h.ws.dir, "docs");
    mkdirSync(docs);
    writeFileSync(path.join(docs, "readme.txt"), "version one\n");
    h.app.sources.create({ name: "docs-dir", kind: "directory", path: docs });
    h.app.destinations.create({ name: "disk", kind: "local", path: h.backupsDir });
    h.app.jobs.create({ name: "docs", source: "docs-dir", destinations: ["disk"], schedule: "0 3 * * *" });
    h.app.jobs.create({ name: "kept", source: "docs-dir", destinations: ["disk"], schedule: "0 4 * * *", timezone: "Asia/Tokyo" });
    for (const job of ["docs", "kept", "docs"]) {
      const r = await h.app.runner.run(await h.app.jobs.resolve(job), { trigger: "manual" });
      expect(r.status).toBe("success");
      if (job === "docs") docsRuns.push(r.runId);
      else keptRun = r.runId;
    }
    writeFileSync(path.join(docs, "readme.txt"), "changed later\n");
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it("deletes the job through its card", async () => {
    const list = await h.say("/jobs");
    await h.press(list, "docs");
    await h.press(list, "Delete");
    expect(h.current(list.message_id).text).toContain("its run history and the backups already made stay");
    await h.press(list, "Yes, delete");
    expect(h.current(list.message_id).text).toBe('🗑 Job "docs" deleted.');
    expect(h.app.jobs.findRow("docs")).toBeNull();
  });

  it("/restore lists the deleted job's runs under Deleted jobs and restores one", async () => {
    const target = path.join(h.ws.dir, "restored");
    mkdirSync(target);
    h.app.sources.create({ name: "restored", kind: "directory", path: target });
    const pick = await h.say("/restore");
    expect(buttonsOf(pick)).toEqual(["🗂 kept", "🗑 Deleted jobs (1)"]);
    await h.press(pick, "Deleted jobs");
    expect(buttonsOf(h.current(pick.message_id))).toEqual(["🗑 docs · 2 backups", "◀ Back"]);
    await h.press(pick, "docs ·");
    const runs = h.current(pick.message_id);
    expect(runs.text).toBe(`♻️ Restore docs (deleted): which backup?\n🕒 Times in ${h.deps.defaultTimezone}`);
    const labels = buttonsOf(runs);
    // Newest (highest id) first.
    expect(labels.slice(0, 2).map((l) => l.split(" ")[0])).toEqual([`#${docsRuns[1]}`, `#${docsRuns[0]}`]);
    await h.press(pick, `#${docsRuns[1]} `);
    expect(buttonsOf(h.current(pick.message_id))).toEqual(["→ docs-dir", "→ restored", "📎 Send me the file", "◀ Back"]);
    await h.press(pick, "→ restored");
    h.fake.sendUserMessage(ADMIN_ID, "restored");
    const done = await h.waitForText((t) => t.startsWith("✅ Restored backup"), ADMIN_ID, 30_000);
    expect(done.text).toContain(`#${docsRuns[1]} of docs into "restored"`);
    expect(readFileSync(path.join(target, "readme.txt"), "utf8")).toBe("version one\n");
  });

  it("/logs keeps the deleted job's history under Deleted jobs", async () => {
    const logs = await h.say("/logs");
    expect(buttonsOf(logs)).toContain("🗑 Deleted jobs");
    await h.press(logs, "Deleted jobs");
    await h.press(logs, "🗑 docs");
    const text = h.current(logs.message_id).text ?? "";
    expect(text.startsWith(`📜 Runs of docs (deleted job), newest first\n🕒 Times in ${h.deps.defaultTimezone}`)).toBe(true);
    const heads = [...text.matchAll(/^#(\d+) · (\S+)/gm)].map((m) => [Number(m[1]), m[2]]);
    expect(heads).toEqual([[docsRuns[1], "docs"], [docsRuns[0], "docs"]]);
  });

  it("every /logs screen names one zone and orders runs by sequence; a job's own page uses its zone", async () => {
    const logs = await h.say("/logs");
    const text = logs.text ?? "";
    const zone = h.deps.defaultTimezone;
    expect(text.split("\n")[1]).toBe(`🕒 Times in ${zone}`);
    const ids = [...text.matchAll(/^#(\d+) · /gm)].map((m) => Number(m[1]));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    // The Tokyo job's run is shown in the screen's one zone, like the others.
    const kept = h.app.runs.get(keptRun)!;
    const block = text.split("\n\n").find((b) => b.startsWith(`#${keptRun} · kept`))!;
    expect(block).toContain(formatTime(kept.startedAt, "en", zone));
    expect(block).not.toContain(formatTime(kept.startedAt, "en", "Asia/Tokyo"));

    const own = await h.say("/logs kept");
    expect(own.text).toContain("🕒 Times in Asia/Tokyo");
    expect(own.text).toContain(formatTime(kept.startedAt, "en", "Asia/Tokyo"));
  });

  it("a run's actions on /logs: verify reads every copy back; restore and send-me-the-file lead on", async () => {
    const logs = await h.say("/logs kept");
    expect(buttonsOf(logs)).toContain(`#${keptRun} ⋯`);
    await h.press(logs, `#${keptRun} ⋯`);
    const actions = h.current(logs.message_id);
    expect(actions.text).toContain(`Backup #${keptRun} of kept`);
    expect(actions.text).toContain("🕒 Times in Asia/Tokyo");
    expect(buttonsOf(actions)).toEqual(["♻️ Restore…", "🔍 Verify (read every copy back)", "📎 Send me the file", "◀ Back"]);
    await h.press(logs, "Verify");
    const verified = await h.waitForText((t) => t.startsWith(`✅ Backup #${keptRun}: all`), ADMIN_ID, 30_000);
    expect(verified.text).toMatch(/all \d+ stored copies read back intact/);
    await h.press(logs, "Restore…");
    expect(h.current(logs.message_id).text).toContain(`♻️ Backup #${keptRun} of kept`);
    expect(buttonsOf(h.current(logs.message_id))).toContain("📎 Send me the file");

    // A part whose only copy no longer matches its sha256: the run cannot be restored, and verify says which copy.
    const part = h.app.runs.liveParts(keptRun).find((p) => p.partIndex === 1)!;
    writeFileSync(part.locator!, "damaged");
    const again = await h.say("/logs kept");
    await h.press(again, `#${keptRun} ⋯`);
    await h.press(again, "Verify");
    const broken = await h.waitForText((t) => t.startsWith(`❌ Backup #${keptRun} cannot be restored`), ADMIN_ID, 30_000);
    expect(broken.text).toContain("disk, part 1: corrupt (sha256 does not match)");
  });
});
