import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../db/client.js";
import { SettingsRepo } from "../repos/settings.repo.js";
import { HEARTBEAT_KEY, Heartbeat, isHealthy } from "./heartbeat.js";

describe("heartbeat", () => {
  let dir: string;
  let db: Db;
  let settings: SettingsRepo;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tb-heartbeat-"));
    db = openDatabase(path.join(dir, "db.sqlite"));
    settings = new SettingsRepo(db);
  });
  afterEach(() => {
    db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const at = (iso: string) => new Date(iso);

  it("is unhealthy before the first beat", () => {
    expect(isHealthy(settings, at("2026-01-10T00:00:00Z"), 60_000)).toBe(false);
    expect(new Heartbeat(settings).last()).toBeNull();
  });

  it("is healthy while the last beat is fresh and unhealthy once it is stale", () => {
    const hb = new Heartbeat(settings);
    hb.beat(at("2026-01-10T00:00:00Z"));
    expect(hb.last()).toEqual(at("2026-01-10T00:00:00Z"));
    expect(isHealthy(settings, at("2026-01-10T00:00:30Z"), 60_000)).toBe(true);
    expect(isHealthy(settings, at("2026-01-10T00:01:00Z"), 60_000)).toBe(true);
    expect(isHealthy(settings, at("2026-01-10T00:01:00.001Z"), 60_000)).toBe(false);
    hb.beat(at("2026-01-10T00:05:00Z"));
    expect(isHealthy(settings, at("2026-01-10T00:05:10Z"), 60_000)).toBe(true);
  });

  it("is read from another connection to the same database (the health command's view)", () => {
    new Heartbeat(settings).beat(at("2026-01-10T00:00:00Z"));
    const other = openDatabase(path.join(dir, "db.sqlite"));
    try {
      expect(isHealthy(new SettingsRepo(other), at("2026-01-10T00:00:05Z"))).toBe(true);
    } finally {
      other.$client.close();
    }
  });

  it("treats garbage as no heartbeat", () => {
    settings.set(HEARTBEAT_KEY, "not a date");
    expect(isHealthy(settings, at("2026-01-10T00:00:00Z"), 60_000)).toBe(false);
  });
});
