import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { userLocaleKey } from "../../src/app.js";
import { drills } from "../../src/db/schema.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { ADMIN_ID, startHarness, type Harness } from "./harness.js";

const HOUR = 3_600_000;
const LIMIT = 4096;

/** The bot's messages in the admin chat after `after`, oldest first. */
const replies = (h: Harness, after: number) => h.fake.messages(ADMIN_ID).filter((m) => m.message_id > after && m.sent_by_bot !== undefined).map((m) => m.text ?? "");

/**
 * Issue 13 (/status contradicted itself) and issue 14 item 4: the headline counts the same
 * per-job states the list shows — failed, lost copies, unverified, overdue and disabled all
 * count — and each job shows a strip of its last results, the last proven restore and when
 * its copies were last re-checked.
 */
describe("/status: the headline agrees with the list", () => {
  let h: Harness;
  let clock: ManualClock;

  beforeAll(async () => {
    clock = new ManualClock("2027-04-10T12:00:00Z");
    h = await startHarness({ clock });
    const dir = path.join(h.ws.dir, "to-save");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "a.txt"), "hello");
    h.app.sources.create({ name: "data", kind: "directory", path: dir });
    h.app.sources.create({ name: "gone", kind: "directory", path: path.join(h.ws.dir, "not-there-yet") });
    h.app.destinations.create({ name: "disk", kind: "local", path: h.backupsDir });
    const job = (name: string, source = "data", enabled = true) =>
      h.app.jobs.create({ name, source, destinations: ["disk"], schedule: "0 3 * * *", compression: "none", enabled });
    for (const name of ["healthy", "healthy-2", "failing", "unverified", "stale", "paused", "lost"]) job(name, name === "failing" ? "gone" : "data", name !== "paused");

    // Real runs: stale first (then the clock moves 3 days), the others now.
    const run = async (name: string) => h.app.executor.execute(name, "manual");
    expect((await run("stale")).status).toBe("success");
    expect((await run("paused")).status).toBe("success");
    await clock.advance(72 * HOUR);
    for (const name of ["healthy", "healthy-2", "unverified", "lost"]) expect((await run(name)).status).toBe("success");
    expect((await run("failing")).status).toBe("failed");
    // A success that was not read back in full (what a read-back failure leaves).
    const u = h.app.runs.listByJob(h.app.jobs.get("unverified").id, 1)[0]!;
    h.app.runs.update(u.id, { verifiedAt: null });
    // The watchdog found one copy of "lost" gone.
    const l = h.app.runs.listByJob(h.app.jobs.get("lost").id, 1)[0]!;
    expect(h.app.partChecks.markLost(h.app.runs.liveParts(l.id)[1]!.id, clock.now(), "missing")).toBe(true);
  });
  afterAll(async () => {
    await h?.close();
  });

  it("counts every job once, in the state its line shows: ❌ failed, 🧩 lost, ⚠️ unverified, ⏰ overdue, ⏸ disabled, ✅ on time", async () => {
    const before = h.lastBotMessageId();
    await h.say("/status");
    await h.idle();
    const text = replies(h, before).join("\n\n");
    const headOf = (job: string) => new RegExp(`^(\\S+) ${job}$`, "m").exec(text)?.[1];
    expect({
      healthy: headOf("healthy"), "healthy-2": headOf("healthy-2"), failing: headOf("failing"), unverified: headOf("unverified"),
      stale: headOf("stale"), paused: headOf("paused"), lost: headOf("lost"),
    }).toEqual({ healthy: "✅", "healthy-2": "✅", failing: "❌", unverified: "⚠️", stale: "⏰", paused: "⏸", lost: "🧩" });
    const head = text.split("\n").slice(0, 2).join("\n");
    expect(head).toBe("📊 7 jobs · 5 need attention, 2 on time\n❌ 1 failed · 🧩 1 with lost copies · ⚠️ 1 not verified · ⏰ 1 overdue · ⏸ 1 disabled");
    expect(text).not.toContain("all backing up on time");
  });

  it("finds a job's last good backup however many failed runs came after it", async () => {
    const job = h.app.jobs.create({ name: "long-failing", source: "data", destinations: ["disk"], schedule: "0 3 * * *", compression: "none" });
    const run = (at: Date, ok: boolean) =>
      h.app.runs.create({ jobId: job.id, jobName: job.name, sourceKind: "directory", trigger: "schedule", status: ok ? "success" : "failed", startedAt: at, finishedAt: at, verifiedAt: ok ? at : null, error: ok ? null : "source folder missing" });
    const good = new Date(clock.now().getTime() - 30 * 24 * HOUR);
    run(good, true);
    for (let i = 0; i < 250; i++) run(new Date(good.getTime() + (i + 1) * HOUR), false);
    const before = h.lastBotMessageId();
    await h.say("/status");
    await h.idle();
    const block = replies(h, before).join("\n\n").split("\n\n").find((b) => b.includes(" long-failing"))!;
    // The good run's time (30 days before the test clock's 2027-04-13 12:00), 250 runs back.
    expect(block).toMatch(/^⚠️ No successful backup since 14 Mar 2027, 12:00\.$/m);
    expect(block).not.toContain("No successful backup yet");
    h.app.jobs.delete("long-failing");
  });

  it("says all is well only when every job is ✅ (after the others are fixed or deleted)", async () => {
    for (const name of ["failing", "unverified", "stale", "paused", "lost"]) h.app.jobs.delete(name);
    const before = h.lastBotMessageId();
    await h.say("/status");
    await h.idle();
    const text = replies(h, before).join("\n\n");
    expect(text.split("\n")[0]).toBe("📊 2 jobs, all backing up on time.");
    expect(text).toMatch(/^✅ healthy$/m);
    expect(text).toContain("🛟 restore proven: never · 🔍 copies re-checked: never");
  });
});

/** 20 jobs with full histories (runs, drills, errors): /status in English and Russian stays within Telegram's limits. */
describe("/status for 20 jobs", () => {
  let h: Harness;
  let clock: ManualClock;

  beforeAll(async () => {
    clock = new ManualClock("2027-06-01T12:00:00Z");
    h = await startHarness({ clock });
    const dir = path.join(h.ws.dir, "to-save");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "a.txt"), "hello");
    h.app.sources.create({ name: "data", kind: "directory", path: dir });
    h.app.destinations.create({ name: "disk", kind: "local", path: h.backupsDir });
    for (let j = 0; j < 20; j++) {
      const name = `production-database-${String(j).padStart(2, "0")}`;
      const job = h.app.jobs.create({ name, source: "data", destinations: ["disk"], schedule: "0 3 * * *", compression: "none", enabled: j !== 19 });
      for (let i = 0; i < 16; i++) {
        const at = new Date(clock.now().getTime() - (16 - i) * 24 * HOUR);
        const failed = (i + j) % 5 === 0;
        const run = h.app.runs.create({
          jobId: job.id, jobName: name, sourceKind: "directory", trigger: "schedule", status: failed ? "failed" : "success", startedAt: at, finishedAt: new Date(at.getTime() + 60_000),
          payloadSize: 123_456_789, verifiedAt: failed || (i + j) % 7 === 0 ? null : at,
          error: failed ? `pg_dump: error: connection to server at "db.internal" (10.0.0.5), port 5432 failed: FATAL: password authentication failed for user "backup" ${"x".repeat(200)}` : null,
        });
        if (i % 4 === 3) {
          h.app.db.insert(drills).values({ jobId: job.id, jobName: name, runId: run.id, trigger: "schedule", status: (i + j) % 3 === 0 ? "failed" : "passed", level: "full", owner: "test", startedAt: new Date(at.getTime() + HOUR), finishedAt: new Date(at.getTime() + 2 * HOUR) }).run();
        }
      }
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  it("/logs marks the runs a drill proved or failed", async () => {
    h.app.settings.set(userLocaleKey(ADMIN_ID), "en");
    const logs = await h.say("/logs production-database-00");
    // Newest first: runs 15..10 of the job; drills followed runs 11 and 15 (i % 4 === 3).
    expect(logs.text).toMatch(/🧨 Drill failed, |🧪 Drill passed, /);
    expect((logs.text ?? "").match(/(🧨 Drill failed|🧪 Drill passed), /g)).toHaveLength(2);
  });

  for (const lang of ["en", "ru"]) {
    it(`${lang}: every job has a 14-result strip with drills, its proof line, and every message fits`, async () => {
      h.app.settings.set(userLocaleKey(ADMIN_ID), lang);
      const before = h.lastBotMessageId();
      await h.say("/status");
      await h.idle();
      const messages = replies(h, before);
      for (const m of messages) expect(m.length).toBeLessThanOrEqual(LIMIT);
      const text = messages.join("\n\n");
      for (let j = 0; j < 20; j++) expect(text).toContain(`production-database-${String(j).padStart(2, "0")}`);
      const strips = text.split("\n").filter((line) => /^(✅|⚠️|❌|🧪|🧨)+$/u.test(line));
      expect(strips).toHaveLength(20);
      for (const s of strips) expect([...s.matchAll(/✅|⚠️|❌|🧪|🧨/gu)]).toHaveLength(14);
      expect(strips.some((s) => s.includes("🧪")) && strips.some((s) => s.includes("🧨"))).toBe(true);
      expect(text.match(lang === "en" ? /🛟 restore proven: \d/g : /🛟 восстановление проверено: \d/g)).toHaveLength(20);
      // The headline counts 20 jobs, the disabled one among those needing attention.
      expect(text.split("\n")[0]).toMatch(lang === "en" ? /^📊 20 jobs · \d+ need attention/ : /^📊 Заданий: 20 · требуют внимания: \d+/);
      expect(messages.length).toBeLessThanOrEqual(2);
    });
  }
});
