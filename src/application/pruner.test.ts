import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../db/client.js";
import { createLocalDestination } from "../destinations/local.js";
import { DestinationError, type Destination, type StoredLocation } from "../destinations/port.js";
import type { Retention } from "../domain.js";
import { createLogger } from "../logger.js";
import { DestinationsRepo } from "../repos/destinations.repo.js";
import { JobsRepo } from "../repos/jobs.repo.js";
import { PartChecksRepo } from "../repos/part-checks.repo.js";
import { RunsRepo } from "../repos/runs.repo.js";
import { SourcesRepo } from "../repos/sources.repo.js";
import { Pruner, type PruneJob } from "./pruner.js";

const HOUR = 3_600_000;
const NOW = new Date("2026-01-12T12:00:00Z");

/**
 * A stand-in for a Telegram channel at our Destination port: it keeps "messages" in memory and,
 * like Telegram, refuses to delete messages older than 48 hours.
 */
class ChannelDouble implements Destination {
  readonly kind = "telegram" as const;
  readonly name = "channel";
  readonly messages = new Map<number, { postedAt: Date; name: string }>();
  deleteCalls = 0;
  failing: Error | null = null;
  /** Deletes, then fails as if the process died before it could record that (the messages are gone). */
  dieAfterDeleting = false;
  /** Called inside every delete, before anything is deleted. */
  onDelete: (() => void) | null = null;
  private nextId = 1;

  constructor(private readonly now: () => Date) {}

  post(name: string, postedAt: Date): StoredLocation {
    const id = this.nextId++;
    this.messages.set(id, { postedAt, name });
    return { locator: "-1001", messageId: id };
  }
  async check() {}
  async putPart(): Promise<StoredLocation> {
    throw new Error("not used");
  }
  async fetch(): Promise<Readable> {
    throw new Error("not used");
  }
  async list() {
    return [...this.messages.values()].map((m) => m.name);
  }
  async delete(locations: StoredLocation[]) {
    this.deleteCalls++;
    this.onDelete?.();
    if (this.failing) throw this.failing;
    const refused: StoredLocation[] = [];
    for (const l of locations) {
      const m = this.messages.get(l.messageId!);
      if (!m) continue;
      if (this.now().getTime() - m.postedAt.getTime() > 48 * HOUR) refused.push(l);
      else this.messages.delete(l.messageId!);
    }
    if (this.dieAfterDeleting) throw new Error("the process died here");
    return { refused };
  }
}

describe("Pruner", () => {
  let dir: string;
  let db: Db;
  let runs: RunsRepo;
  let local: Destination;
  let channel: ChannelDouble;
  let localId: number;
  let channelId: number;
  let jobId: number;
  let destinations: Map<number, Destination | null>;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tb-prune-"));
    db = openDatabase(path.join(dir, "db.sqlite"));
    runs = new RunsRepo(db);
    const source = new SourcesRepo(db).insert({ name: "notes", kind: "sqlite", settings: { path: "/x.sqlite" }, passwordEnc: null });
    const dests = new DestinationsRepo(db);
    localId = dests.insert({ name: "nas", kind: "local", settings: { path: path.join(dir, "nas") }, tokenEnc: null }).id;
    channelId = dests.insert({ name: "channel", kind: "telegram", settings: { chat_id: "-1001" }, tokenEnc: null }).id;
    jobId = new JobsRepo(db).insert(
      { name: "notes", sourceId: source.id, schedule: "0 3 * * *", timezone: null, format: "sql", compression: "gzip", recipients: [], passphraseEnc: null, partSize: 1024, retention: {}, enabled: true },
      [localId, channelId],
    ).id;
    local = createLocalDestination({ name: "nas", path: path.join(dir, "nas") });
    channel = new ChannelDouble(() => NOW);
    destinations = new Map<number, Destination | null>([
      [localId, local],
      [channelId, channel],
    ]);
  });
  afterEach(() => {
    db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const pruner = () =>
    new Pruner({ runs, destinationFor: async (id) => destinations.get(id) ?? null, log: createLogger("silent"), defaultTimezone: "UTC", clock: { now: () => NOW } });

  const job = (retention: Retention): PruneJob => ({ id: jobId, name: "notes", retention, timezone: null });

  /** A finished run whose payload part and manifest were delivered to the local folder and the channel. */
  async function addRun(hoursAgo: number, status: "success" | "failed" = "success"): Promise<{ id: number; files: string[] }> {
    const startedAt = new Date(NOW.getTime() - hoursAgo * HOUR);
    const stamp = startedAt.toISOString().replace(/[-:]/g, "").slice(0, 15);
    const run = runs.create({ jobId, jobName: "notes", sourceKind: "sqlite", trigger: "schedule", status, startedAt, finishedAt: startedAt, verifiedAt: status === "success" ? startedAt : null });
    const files: string[] = [];
    for (const [index, name] of [[1, `notes_${stamp}.sql.gz.001`], [0, `notes_${stamp}.sql.gz.manifest.json`]] as const) {
      const spooled = path.join(dir, name);
      writeFileSync(spooled, `content of ${name}`);
      const stored = await local.putPart({ runId: run.id, jobName: "notes" }, { index, name, size: 1, sha256: "x" }, spooled, new AbortController().signal);
      files.push(stored.locator);
      runs.addPart({ runId: run.id, destinationId: localId, partIndex: index, name, size: 1, sha256: "x", locator: stored.locator, storedAt: startedAt });
      const posted = channel.post(name, startedAt);
      runs.addPart({ runId: run.id, destinationId: channelId, partIndex: index, name, size: 1, sha256: "x", locator: posted.locator, messageId: posted.messageId!, storedAt: startedAt });
    }
    return { id: run.id, files };
  }

  const livePartsAt = (runId: number, destinationId: number) => runs.liveParts(runId).filter((p) => p.destinationId === destinationId).length;

  it("a pruning cut short after the channel deleted the messages: the run is marked expiring first, the watchdog leaves its copies alone, the next pruning expires it", async () => {
    const old = await addRun(30);
    const newest = await addRun(1);
    const watched = () => new PartChecksRepo(db).candidates().map((c) => c.run.id);
    expect(new Set(watched())).toEqual(new Set([old.id, newest.id]));
    let markedWhileDeleting: Date | null | undefined;
    channel.onDelete = () => (markedWhileDeleting = runs.get(old.id)!.expiringAt);
    channel.dieAfterDeleting = true;

    const cut = await pruner().afterRun(job({ keep_last: 1 }), { runId: newest.id, status: "success", verified: true });
    expect(markedWhileDeleting).toEqual(NOW);
    expect(cut.retry.map((r) => r.runId)).toEqual([old.id]);
    expect(runs.get(old.id)).toMatchObject({ expiredAt: null, expiringAt: NOW });
    // Its channel messages are gone but still recorded: the watchdog must not call them lost.
    expect(livePartsAt(old.id, channelId)).toBe(2);
    expect(watched()).not.toContain(old.id);
    expect(watched()).toContain(newest.id);

    channel.dieAfterDeleting = false;
    const next = await pruner().afterRun(job({ keep_last: 1 }), { runId: newest.id, status: "success", verified: true });
    expect(next.expired.map((e) => e.runId)).toEqual([old.id]);
    expect(runs.get(old.id)!.expiredAt).toEqual(NOW);
  });

  it("a run an unfinished pruning marked, which the policy now keeps, is checked by the watchdog again", async () => {
    const old = await addRun(30);
    const newest = await addRun(1);
    runs.update(old.id, { expiringAt: new Date(NOW.getTime() - HOUR) });
    expect(new PartChecksRepo(db).candidates().map((c) => c.run.id)).not.toContain(old.id);
    const report = await pruner().afterRun(job({ keep_last: 5 }), { runId: newest.id, status: "success", verified: true });
    expect(report.expired).toEqual([]);
    expect(runs.get(old.id)!.expiringAt).toBeNull();
    expect(new PartChecksRepo(db).candidates().map((c) => c.run.id)).toContain(old.id);
  });

  it("deletes expired runs' parts, leaves parts the channel refuses (48-hour rule) recorded, and marks the runs expired", async () => {
    const old = await addRun(5 * 24); // older than 48 h: the channel refuses to delete it
    const recent = await addRun(36);
    const kept1 = await addRun(24);
    const newest = await addRun(1);

    const report = await pruner().afterRun(job({ keep_last: 2 }), { runId: newest.id, status: "success", verified: true });

    expect(report.skipped).toBeNull();
    expect(report.kept).toBe(2);
    expect(report.retry).toEqual([]);
    expect(report.expired).toEqual([
      { runId: recent.id, reasons: ["not-selected"], deleted: 4, left: 0 },
      { runId: old.id, reasons: ["not-selected"], deleted: 2, left: 2 },
    ]);

    // Local files are gone for both expired runs; the kept ones are untouched.
    for (const f of [...old.files, ...recent.files]) expect(existsSync(f)).toBe(false);
    for (const f of [...kept1.files, ...newest.files]) expect(existsSync(f)).toBe(true);

    // The refused messages still exist in the channel and stay recorded as live parts.
    expect(livePartsAt(old.id, localId)).toBe(0);
    expect(livePartsAt(old.id, channelId)).toBe(2);
    expect(runs.allParts(old.id).filter((p) => p.destinationId === channelId).every((p) => p.deletedAt === null)).toBe(true);
    expect(livePartsAt(recent.id, channelId)).toBe(0);
    expect([...channel.messages.values()].map((m) => m.postedAt.getTime())).toContain(NOW.getTime() - 5 * 24 * HOUR);
    expect(channel.messages.size).toBe(6); // old (2) + kept1 (2) + newest (2)

    for (const r of [old, recent]) expect(runs.get(r.id)).toMatchObject({ status: "success", expiredAt: NOW });
    for (const r of [kept1, newest]) expect(runs.get(r.id)!.expiredAt).toBeNull();

    // Expired runs are settled: the next prune neither re-counts nor re-asks the channel about them.
    const calls = channel.deleteCalls;
    const again = await pruner().afterRun(job({ keep_last: 2 }), { runId: newest.id, status: "success", verified: true });
    expect(again.expired).toEqual([]);
    expect(channel.deleteCalls).toBe(calls);
  });

  it("prunes nothing after a failed or unverified run", async () => {
    const a = await addRun(48);
    const b = await addRun(1);
    for (const result of [
      { runId: b.id, status: "failed" as const, verified: false },
      { runId: b.id, status: "success" as const, verified: false },
    ]) {
      const report = await pruner().afterRun(job({ keep_last: 1 }), result);
      expect(report.skipped).toMatch(/verified successful run/);
    }
    expect(runs.get(a.id)!.expiredAt).toBeNull();
    expect(runs.liveParts(a.id)).toHaveLength(4);
    expect(channel.deleteCalls).toBe(0);
  });

  it("never deletes the newest successful backup, and removes what failed runs left behind", async () => {
    const lastGood = await addRun(30 * 24);
    const failed = await addRun(2, "failed");
    const report = await pruner().afterRun(job({ max_age_days: 7 }), { runId: lastGood.id, status: "success", verified: true });
    expect(report.expired.map((e) => [e.runId, e.reasons])).toEqual([[failed.id, ["unsuccessful"]]]);
    expect(runs.liveParts(lastGood.id)).toHaveLength(4);
    for (const f of lastGood.files) expect(existsSync(f)).toBe(true);
  });

  it("keeps runs unexpired when a destination fails, and finishes the job on the next prune", async () => {
    const old = await addRun(30);
    const newest = await addRun(1);
    channel.failing = new DestinationError("telegram: 502 Bad Gateway", { permanent: false });
    const first = await pruner().afterRun(job({ keep_last: 1 }), { runId: newest.id, status: "success", verified: true });
    expect(first.expired).toEqual([]);
    expect(first.retry).toEqual([{ runId: old.id, error: "channel: telegram: 502 Bad Gateway" }]);
    expect(runs.get(old.id)!.expiredAt).toBeNull();
    expect(livePartsAt(old.id, channelId)).toBe(2);
    expect(livePartsAt(old.id, localId)).toBe(0); // what could be deleted is deleted and recorded

    channel.failing = null;
    const second = await pruner().afterRun(job({ keep_last: 1 }), { runId: newest.id, status: "success", verified: true });
    expect(second.expired).toEqual([{ runId: old.id, reasons: ["not-selected"], deleted: 2, left: 0 }]);
    expect(runs.liveParts(old.id)).toEqual([]);
  });

  it("deletes nothing in a folder whose disk is not mounted (it would record the parts deleted while they stay on the disk), and finishes once it is back", async () => {
    const old = await addRun(30);
    const newest = await addRun(1);
    const nas = path.join(dir, "nas");
    renameSync(nas, `${nas}-disk`); // the disk is gone: its empty mountpoint is left
    mkdirSync(nas);
    const first = await pruner().afterRun(job({ keep_last: 1 }), { runId: newest.id, status: "success", verified: true });
    expect(first.expired).toEqual([]);
    expect(first.retry).toEqual([{ runId: old.id, error: expect.stringMatching(/^nas: local destination "nas": .* is its disk mounted\?/) }]);
    expect(livePartsAt(old.id, localId)).toBe(2);
    expect(readdirSync(nas)).toEqual([]);

    rmdirSync(nas);
    renameSync(`${nas}-disk`, nas);
    const second = await pruner().afterRun(job({ keep_last: 1 }), { runId: newest.id, status: "success", verified: true });
    expect(second.expired).toEqual([{ runId: old.id, reasons: ["not-selected"], deleted: 2, left: 0 }]); // the channel's went the first time
    for (const f of old.files) expect(existsSync(f)).toBe(false);
    expect(newest.files.every((f) => existsSync(f))).toBe(true);
  });

  it("leaves parts whose destination no longer exists and still expires the run", async () => {
    const old = await addRun(30);
    const newest = await addRun(1);
    destinations.set(channelId, null);
    const report = await pruner().afterRun(job({ keep_last: 1 }), { runId: newest.id, status: "success", verified: true });
    expect(report.expired).toEqual([{ runId: old.id, reasons: ["not-selected"], deleted: 2, left: 2 }]);
    expect(livePartsAt(old.id, channelId)).toBe(2);
  });

  it("batches deletions per destination", async () => {
    for (let i = 10; i >= 1; i--) await addRun(i);
    const p = new Pruner({ runs, destinationFor: async (id) => destinations.get(id) ?? null, log: createLogger("silent"), defaultTimezone: "UTC", clock: { now: () => NOW }, batchSize: 5 });
    const report = await p.afterRun(job({ keep_last: 2 }), { runId: 10, status: "success", verified: true });
    expect(report.expired).toHaveLength(8);
    expect(channel.deleteCalls).toBe(Math.ceil(16 / 5));
  });
});
