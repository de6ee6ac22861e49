import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../db/client.js";
import { DestinationsRepo } from "./destinations.repo.js";
import { JobsRepo, type NewJobRow } from "./jobs.repo.js";
import { SourcesRepo } from "./sources.repo.js";

describe("sources, destinations and jobs repositories", () => {
  let dir: string;
  let db: Db;
  let sources: SourcesRepo;
  let destinations: DestinationsRepo;
  let jobs: JobsRepo;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tb-repos-"));
    db = openDatabase(path.join(dir, "db.sqlite"));
    sources = new SourcesRepo(db);
    destinations = new DestinationsRepo(db);
    jobs = new JobsRepo(db);
  });
  afterEach(() => {
    db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const jobValues = (sourceId: number, name = "nightly"): NewJobRow => ({
    name,
    sourceId,
    schedule: "0 3 * * *",
    timezone: null,
    format: "sql",
    compression: "gzip",
    recipients: [],
    passphraseEnc: null,
    partSize: 19 * 1024 * 1024,
    retention: { keep_last: 3 },
    enabled: true,
  });

  it("does CRUD on sources by id and name", () => {
    const row = sources.insert({ name: "notes", kind: "sqlite", settings: { path: "/data/notes.sqlite" }, passwordEnc: null });
    expect(row.id).toBeGreaterThan(0);
    expect(sources.findByName("notes")).toEqual(row);
    expect(sources.findById(row.id)?.settings).toEqual({ path: "/data/notes.sqlite" });
    expect(sources.findByName("nope")).toBeNull();
    expect(sources.findById(999)).toBeNull();
    const updated = sources.update(row.id, { settings: { path: "/data/other.sqlite" } });
    expect(updated?.settings).toEqual({ path: "/data/other.sqlite" });
    expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(row.updatedAt.getTime());
    expect(sources.update(999, { name: "x" })).toBeNull();
    expect(sources.list().map((s) => s.name)).toEqual(["notes"]);
    expect(sources.count()).toBe(1);
    expect(sources.delete(row.id)).toBe(true);
    expect(sources.delete(row.id)).toBe(false);
    expect(sources.count()).toBe(0);
  });

  it("keeps a job's destinations in order and replaces them on update", () => {
    const src = sources.insert({ name: "db", kind: "sqlite", settings: { path: "/x.sqlite" }, passwordEnc: null });
    const a = destinations.insert({ name: "a", kind: "local", settings: { path: "/a" }, tokenEnc: null });
    const b = destinations.insert({ name: "b", kind: "local", settings: { path: "/b" }, tokenEnc: null });
    const c = destinations.insert({ name: "c", kind: "telegram", settings: { chatId: "-100" }, tokenEnc: null });

    const job = jobs.insert(jobValues(src.id), [c.id, a.id]);
    expect(job.destinationIds).toEqual([c.id, a.id]);
    expect(jobs.findByName("nightly")?.destinationIds).toEqual([c.id, a.id]);
    expect(jobs.findById(job.id)?.retention).toEqual({ keep_last: 3 });

    const updated = jobs.update(job.id, { enabled: false }, [b.id, c.id, a.id]);
    expect(updated?.enabled).toBe(false);
    expect(jobs.findById(job.id)?.destinationIds).toEqual([b.id, c.id, a.id]);
    // without a list the destinations stay
    jobs.update(job.id, { schedule: "0 4 * * *" });
    expect(jobs.findById(job.id)?.destinationIds).toEqual([b.id, c.id, a.id]);

    expect(jobs.listBySource(src.id).map((j) => j.name)).toEqual(["nightly"]);
    expect(jobs.listByDestination(b.id).map((j) => j.name)).toEqual(["nightly"]);
    jobs.insert(jobValues(src.id, "weekly"), [a.id]);
    expect(jobs.list().map((j) => [j.name, j.destinationIds])).toEqual([
      ["nightly", [b.id, c.id, a.id]],
      ["weekly", [a.id]],
    ]);
    expect(jobs.listByDestination(a.id).map((j) => j.name)).toEqual(["nightly", "weekly"]);

    // the database refuses to delete what a job uses; deleting the job frees it
    expect(() => sources.delete(src.id)).toThrow(/FOREIGN KEY/);
    expect(jobs.delete(job.id)).toBe(true);
    expect(jobs.findById(job.id)).toBeNull();
    expect(jobs.listByDestination(b.id)).toEqual([]);
    expect(destinations.delete(b.id)).toBe(true);
    expect(jobs.count()).toBe(1);
  });
});
