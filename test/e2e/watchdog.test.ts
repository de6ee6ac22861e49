import { mkdirSync, readdirSync, renameSync, rmdirSync } from "node:fs";
import path from "node:path";
import { Api } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { WATCHDOG_LAST_PASS_KEY } from "../../src/application/watchdog.js";
import { ADMIN_ID, startHarness, type Harness } from "../bot/harness.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { flipByte, writeFourPartTree } from "../helpers/tree.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

const DAY = 86_400_000;
const CHANNEL = -1004343434343;
const MIB = 1024 * 1024;

/**
 * Issue 14, item 2: the channel watchdog re-checks a daily sample of the stored copies of every
 * kept run in every destination. A message deleted from the channel (its file_id still downloads,
 * as on Telegram) and a corrupted copy in a local folder are each found within the window, alerted
 * once (saying the run is still restorable from the other destination), and shown by /status and /logs.
 */
describe("the channel watchdog finds a deleted message and a corrupt copy", () => {
  let h: Harness;
  let clock: ManualClock;
  const runIds: number[] = [];

  beforeAll(async () => {
    clock = new ManualClock("2027-03-01T04:00:00Z");
    h = await startHarness({ withNotifier: true, clock });
    h.fake.createChannel({ id: CHANNEL, title: "Backups" });
    const dir = path.join(h.ws.dir, "files");
    writeFourPartTree(dir);
    h.app.sources.create({ name: "files", kind: "directory", path: dir });
    h.app.destinations.create({ name: "channel", kind: "telegram", chat_id: String(CHANNEL) });
    h.app.destinations.create({ name: "disk", kind: "local", path: h.backupsDir });
    h.app.jobs.create({ name: "files", source: "files", destinations: ["channel", "disk"], schedule: "0 3 * * *", compression: "none", part_size: "1MiB", retention: { keep_last: 10 } });
    for (let i = 0; i < 2; i++) {
      const r = await h.app.executor.execute("files", "manual");
      expect(r.status, r.error ?? "").toBe("success");
      runIds.push(r.runId);
      await clock.advance(60_000);
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  const alerts = () => h.fake.messages(ADMIN_ID).filter((m) => (m.text ?? "").startsWith("🧩 files, run #")).map((m) => m.text!);

  it("the first pass, a day after the watchdog first ticked, re-checks every copy (none checked yet) and finds them intact; not again the same day", async () => {
    expect(await h.app.watchdog.tick(clock.now())).toBeNull();
    expect(h.app.partChecks.candidates().every((c) => c.part.checkedAt === null)).toBe(true);
    await clock.advance(DAY);
    const report = await h.app.watchdog.tick(clock.now());
    // 2 runs × (4 parts + manifest) × 2 destinations.
    expect(report).toMatchObject({ intact: 20, lost: [], skipped: 0 });
    expect(h.app.partChecks.candidates().every((c) => c.part.checkedAt?.getTime() === clock.now().getTime())).toBe(true);
    // The channel copies were asked for by message, not only by file.
    expect(h.fake.requestsFor("editMessageReplyMarkup").length).toBeGreaterThanOrEqual(10);
    expect(await h.app.watchdog.tick(clock.now())).toBeNull();
    const status = await h.say("/status");
    expect(status.text).toContain("🔍 copies re-checked: 2 Mar\n");
  });

  it("a last pass recorded in the future (the clock was ahead, then set back): the next pass comes a day from now, not on that date", async () => {
    const saved = h.app.settings.get(WATCHDOG_LAST_PASS_KEY);
    try {
      h.app.settings.set(WATCHDOG_LAST_PASS_KEY, String(clock.now().getTime() + 365 * DAY));
      expect(await h.app.watchdog.tick(clock.now())).toBeNull();
      expect(Number(h.app.settings.get(WATCHDOG_LAST_PASS_KEY))).toBe(clock.now().getTime());
      const report = await h.app.watchdog.tick(new Date(clock.now().getTime() + DAY));
      expect(report).toMatchObject({ lost: [] });
    } finally {
      h.app.settings.set(WATCHDOG_LAST_PASS_KEY, saved!);
    }
  });

  it("a part's message deleted from the channel and a corrupt part on disk: each found within 30 days, alerted once, shown by /status and /logs", async () => {
    const channelId = h.app.destinations.get("channel").id;
    const diskId = h.app.destinations.get("disk").id;
    const [first, second] = runIds as [number, number];
    const deleted = h.app.runs.liveParts(second).find((p) => p.destinationId === channelId && p.partIndex === 2)!;
    // Another admin deletes the message; on Telegram (and in the fake) its file_id still downloads.
    await new Api(h.fake.token, { apiRoot: h.fake.apiRoot }).deleteMessage(CHANNEL, deleted.messageId!);
    const corrupt = h.app.runs.liveParts(first).find((p) => p.destinationId === diskId && p.partIndex === 3)!;
    flipByte(corrupt.locator!);

    const found = new Map<number, number>();
    for (let day = 1; day <= 30 && found.size < 2; day++) {
      await clock.advance(DAY);
      const report = await h.app.watchdog.tick(clock.now());
      expect(report).not.toBeNull();
      for (const l of report!.lost) found.set(l.copy.part.id, day);
    }
    expect([...found.keys()].sort()).toEqual([deleted.id, corrupt.id].sort());
    // Found by the daily sample, not by re-reading everything on the first day.
    expect(Math.max(...found.values())).toBeGreaterThan(1);
    const lost = h.app.partChecks.copiesOf(second).find((p) => p.id === deleted.id)!;
    expect(lost.lostReason).toBe("missing");
    expect(h.app.partChecks.copiesOf(first).find((p) => p.id === corrupt.id)!.lostReason).toBe("corrupt");

    const said = await h.fake.waitFor(() => (alerts().length >= 2 ? alerts() : undefined), 10_000, "two watchdog alerts");
    expect(said).toHaveLength(2);
    expect(said).toContainEqual(expect.stringContaining(`🧩 files, run #${second}: stored copies are gone: ${deleted.name} (channel).\nThe run is still restorable from disk.`));
    expect(said).toContainEqual(expect.stringContaining(`🧩 files, run #${first}: stored copies no longer match their checksums: ${corrupt.name} (disk).\nThe run is still restorable from channel.`));

    // Thirty more daily passes: each lost copy stays lost and is not alerted again.
    for (let day = 0; day < 30; day++) {
      await clock.advance(DAY);
      const report = await h.app.watchdog.tick(clock.now());
      expect(report!.lost).toEqual([]);
    }
    expect(alerts()).toHaveLength(2);

    const status = await h.say("/status");
    expect(status.text).toContain("🧩 files");
    expect(status.text).toMatch(/🧩 2 stored copies lost \(runs #\d+, #\d+\): see \/logs/);
    expect(status.text).toContain("📊 1 job · 1 needs attention, 0 on time\n🧩 1 with lost copies");

    const logs = await h.say("/logs files");
    expect(logs.text).toContain(`#${second} · files`);
    expect((logs.text ?? "").match(/🧩 Watchdog: 1 stored copy lost/g)).toHaveLength(2);
  });
});

/**
 * The sample stays within the daily budget and still re-checks every copy within the window:
 * 3 runs of ~3.3 MiB, a 2 MiB budget, 45 days on the manual clock.
 */
describe("the watchdog's daily sample", () => {
  let ws: Workspace;
  let app: App;
  let clock: ManualClock;

  beforeAll(async () => {
    clock = new ManualClock("2027-05-01T04:00:00Z");
    ws = createWorkspace({});
    const dir = path.join(ws.dir, "files");
    writeFourPartTree(dir);
    app = await ws.app({ WATCHDOG_DAILY_BUDGET: "2MiB", WATCHDOG_WINDOW_DAYS: "30" }, { clock });
    app.sources.create({ name: "files", kind: "directory", path: dir });
    app.destinations.create({ name: "disk", kind: "local", path: path.join(ws.dir, "backups") });
    app.jobs.create({ name: "files", source: "files", destinations: ["disk"], schedule: "0 3 * * *", compression: "none", part_size: "1MiB", retention: { keep_last: 10 } });
    for (let i = 0; i < 3; i++) {
      expect((await app.executor.execute("files", "manual")).status).toBe("success");
      await clock.advance(60_000);
    }
  });
  afterAll(() => {
    app?.close();
    ws?.remove();
  });

  it("never downloads more than the budget in a day, re-checks every copy within 30 days, and does not re-read everything every day", async () => {
    const copies = app.partChecks.candidates();
    const total = copies.reduce((n, c) => n + c.part.size, 0);
    expect(copies).toHaveLength(15);
    const perDay: number[] = [];
    expect(await app.watchdog.tick(clock.now())).toBeNull();
    await clock.advance(DAY);
    for (let day = 0; day < 45; day++) {
      const report = await app.watchdog.tick(clock.now());
      expect(report).not.toBeNull();
      expect(report!.bytes).toBeLessThanOrEqual(2 * MIB);
      expect(report!.lost).toEqual([]);
      perDay.push(report!.bytes);
      if (day >= 30) {
        // Every copy was re-checked within the last 30 days.
        const stale = app.partChecks.candidates().filter((c) => !c.part.checkedAt || clock.now().getTime() - c.part.checkedAt.getTime() > 30 * DAY);
        expect(stale.map((c) => c.part.name)).toEqual([]);
      }
      expect(Number(app.settings.get(WATCHDOG_LAST_PASS_KEY))).toBe(clock.now().getTime());
      await clock.advance(DAY);
    }
    // The first days catch up on copies never checked; afterwards the daily share (total / 30,
    // here rounded up to one part of 1 MiB and maybe a manifest).
    expect(perDay.slice(0, 3).every((b) => b > MIB)).toBe(true);
    expect(perDay.slice(10).every((b) => b > 0 && b < 1.5 * MIB)).toBe(true);
    expect(perDay.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(total);
  });
});

/**
 * A local folder whose disk is not mounted holds none of the copies, yet none is lost: they are
 * back with the disk. The watchdog checks the folder is the one they went to before it checks
 * any copy there, and says so instead of marking every copy it samples lost, for good.
 */
describe("the watchdog and a local folder whose disk is not mounted", () => {
  let h: Harness;
  let clock: ManualClock;

  beforeAll(async () => {
    clock = new ManualClock("2027-06-01T04:00:00Z");
    h = await startHarness({ withNotifier: true, clock });
    const dir = path.join(h.ws.dir, "files");
    writeFourPartTree(dir);
    h.app.sources.create({ name: "files", kind: "directory", path: dir });
    h.app.destinations.create({ name: "disk", kind: "local", path: h.backupsDir });
    h.app.jobs.create({ name: "files", source: "files", destinations: ["disk"], schedule: "0 3 * * *", compression: "none", part_size: "1MiB", retention: { keep_last: 10 } });
    const r = await h.app.executor.execute("files", "manual");
    expect(r.status, r.error ?? "").toBe("success");
  });
  afterAll(async () => {
    await h?.close();
  });

  const storeAlerts = () => h.fake.messages(ADMIN_ID).filter((m) => (m.text ?? "").startsWith("🛑 Destination")).map((m) => m.text!);

  it("skips the folder's copies with one alert per pass, marks none lost, and checks them again once the disk is back", async () => {
    expect(await h.app.watchdog.tick(clock.now())).toBeNull();
    const aside = `${h.backupsDir}-disk`;
    renameSync(h.backupsDir, aside); // the disk is gone: its mountpoint, an empty folder, is left
    mkdirSync(h.backupsDir);

    await clock.advance(DAY);
    const away = await h.app.watchdog.tick(clock.now());
    expect(away!.lost).toEqual([]);
    expect(away!.intact).toBe(0);
    expect(away!.skipped).toBeGreaterThan(0);
    expect(readdirSync(h.backupsDir)).toEqual([]); // not marked as the store either
    const said = await h.fake.waitFor(() => (storeAlerts().length >= 1 ? storeAlerts() : undefined), 10_000, "the watchdog's alert");
    expect(said).toEqual([
      `🛑 Destination "disk": the folder ${h.backupsDir} holds neither the mark tele-backup left in it nor the newest backups recorded there. Is its disk mounted? Its copies were not checked (they are not counted as lost), and backups to it are refused until it is back. If you emptied the folder on purpose, create the file .tele-backup-destination in it.`,
    ]);
    expect(h.app.partChecks.candidates().every((c) => c.part.lostAt == null)).toBe(true);

    rmdirSync(h.backupsDir);
    renameSync(aside, h.backupsDir); // mounted again
    await clock.advance(DAY);
    const back = await h.app.watchdog.tick(clock.now());
    expect(back!.lost).toEqual([]);
    expect(back!.skipped).toBe(0);
    expect(back!.intact).toBeGreaterThan(0);
    expect(storeAlerts()).toHaveLength(1);
  });
});
