import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../db/client.js";
import { createLogger } from "../logger.js";
import type { Notifier } from "../notify/port.js";
import { RunsRepo } from "../repos/runs.repo.js";
import { SettingsRepo } from "../repos/settings.repo.js";
import { ALERT_DEADMAN, ALERT_RECOVERED, Deadman, lastSuccessFromRuns, type DeadmanJob } from "./deadman.js";

describe("Deadman", () => {
  let dir: string;
  let db: Db;
  let settings: SettingsRepo;
  let alerts: Array<{ key: string; params: Record<string, string | number> }>;
  let successes: Map<number, Date>;

  const notifier: Notifier = {
    async runSucceeded() {},
    async runFailed() {},
    async alertAdmins(key, params) {
      alerts.push({ key, params });
    },
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tb-deadman-"));
    db = openDatabase(path.join(dir, "db.sqlite"));
    settings = new SettingsRepo(db);
    alerts = [];
    successes = new Map();
  });
  afterEach(() => {
    db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh instance each time, as after a restart: only the settings table carries state. */
  const deadman = () => new Deadman({ settings, notifier, lastSuccess: (id) => successes.get(id) ?? null, log: createLogger("silent"), defaultTimezone: "UTC" });
  const nightly: DeadmanJob = { id: 1, name: "app-nightly", schedule: "0 3 * * *", timezone: null, enabled: true };
  const at = (iso: string) => new Date(iso);

  it("alerts once when two fire times pass without success (plus slack), survives a restart, and reports recovery once", async () => {
    await deadman().check(at("2026-01-10T00:00:00Z"), [nightly]);
    successes.set(1, at("2026-01-10T03:00:00Z"));
    // Tuesday's 03:00 failed; Wednesday's 03:00 run may still be going until 04:00.
    expect(await deadman().check(at("2026-01-12T04:00:00Z"), [nightly])).toEqual([]);
    expect(alerts).toEqual([]);

    expect(await deadman().check(at("2026-01-12T04:00:10Z"), [nightly])).toEqual([{ kind: "overdue", jobId: 1, job: "app-nightly" }]);
    expect(alerts).toEqual([{
        key: ALERT_DEADMAN,
        params: { job: "app-nightly", since: "2026-01-10 03:00 UTC", interval: "1d", last_success: "2026-01-10T03:00:00.000Z", hours_since: 49, expected_hours: 49 },
      }]);

    // Not once per tick, and not again after a restart.
    const same = deadman();
    await same.check(at("2026-01-12T04:00:20Z"), [nightly]);
    await same.check(at("2026-01-13T12:00:00Z"), [nightly]);
    await deadman().check(at("2026-01-14T12:00:00Z"), [nightly]);
    expect(alerts).toHaveLength(1);

    successes.set(1, at("2026-01-15T03:00:00Z"));
    expect(await deadman().check(at("2026-01-15T03:10:00Z"), [nightly])).toEqual([{ kind: "recovered", jobId: 1, job: "app-nightly" }]);
    await deadman().check(at("2026-01-15T03:10:10Z"), [nightly]);
    expect(alerts.slice(1)).toEqual([{ key: ALERT_RECOVERED, params: { job: "app-nightly", at: "2026-01-15 03:00 UTC", last_success: "2026-01-15T03:00:00.000Z" } }]);
  });

  it("gives a job that never succeeded two fire times from when it was first watched", async () => {
    await deadman().check(at("2026-01-10T12:00:00Z"), [nightly]);
    await deadman().check(at("2026-01-12T03:59:00Z"), [nightly]);
    expect(alerts).toEqual([]);
    await deadman().check(at("2026-01-12T04:01:00Z"), [nightly]);
    expect(alerts).toEqual([{ key: ALERT_DEADMAN, params: { job: "app-nightly", since: "2026-01-10 12:00 UTC", interval: "1d", last_success: "never", hours_since: 40, expected_hours: 40 } }]);
  });

  it("allows for gaps in the schedule: a weekday job is not overdue over the weekend", async () => {
    const weekdays: DeadmanJob = { ...nightly, schedule: "0 3 * * 1-5" };
    await deadman().check(at("2026-01-08T12:00:00Z"), [weekdays]);
    successes.set(1, at("2026-01-09T03:00:00Z")); // Friday
    await deadman().check(at("2026-01-12T12:00:00Z"), [weekdays]); // Monday's run failed
    expect(alerts).toEqual([]);
    await deadman().check(at("2026-01-13T04:01:00Z"), [weekdays]); // Tuesday's too
    expect(alerts.map((a) => a.key)).toEqual([ALERT_DEADMAN]);
  });

  it("ignores disabled jobs, forgets them, and starts afresh when they are enabled again", async () => {
    successes.set(1, at("2026-01-01T03:00:00Z"));
    await deadman().check(at("2026-01-01T12:00:00Z"), [nightly]);
    await deadman().check(at("2026-01-10T12:00:00Z"), [{ ...nightly, enabled: false }]);
    expect(alerts).toEqual([]);
    // Re-enabled after a long pause: the clock starts now, not at the old success.
    await deadman().check(at("2026-01-11T12:00:00Z"), [nightly]);
    expect(alerts).toEqual([]);
    await deadman().check(at("2026-01-13T04:01:00Z"), [nightly]);
    expect(alerts.map((a) => a.key)).toEqual([ALERT_DEADMAN]);
  });

  it("names times in the job's time zone and intervals compactly", async () => {
    const berlin: DeadmanJob = { ...nightly, schedule: "*/30 * * * *", timezone: "Europe/Berlin" };
    await deadman().check(at("2026-01-10T00:00:00Z"), [berlin]);
    successes.set(1, at("2026-01-10T08:00:00Z"));
    await deadman().check(at("2026-01-10T10:00:01Z"), [berlin]);
    expect(alerts[0]!.params).toMatchObject({ since: "2026-01-10 09:00 Europe/Berlin", interval: "30m" });
  });

  it("skips a check while the previous one is still sending", async () => {
    let release!: () => void;
    const slow: Notifier = { ...notifier, alertAdmins: (key, params) =>
        new Promise<void>((r) => {
          release = () => {
            alerts.push({ key, params });
            r();
          };
        }),
    };
    const d = new Deadman({ settings, notifier: slow, lastSuccess: () => at("2026-01-01T03:00:00Z"), log: createLogger("silent"), defaultTimezone: "UTC" });
    settings.set("deadman.state", JSON.stringify({ 1: { key: "0 3 * * *\u0000UTC", since: "2025-12-01T00:00:00.000Z" } }));
    const first = d.check(at("2026-01-10T00:00:00Z"), [nightly]);
    expect(await d.check(at("2026-01-10T00:00:10Z"), [nightly])).toEqual([]);
    release();
    expect(await first).toHaveLength(1);
    expect(alerts).toHaveLength(1);
  });

  it("lastSuccessFromRuns finds the newest good backup behind many failures", () => {
    const runs = new RunsRepo(db);
    runs.create({ jobName: "app", sourceKind: "sqlite", trigger: "schedule", status: "success", startedAt: at("2026-01-01T03:00:00Z"), verifiedAt: at("2026-01-01T03:01:00Z") });
    for (let i = 0; i < 150; i++) runs.create({ jobName: "app", sourceKind: "sqlite", trigger: "schedule", status: "failed", startedAt: new Date(Date.parse("2026-01-02T03:00:00Z") + i * 60_000) });
    // These rows have no job row behind them, so page through all runs in listByJob's place.
    const lookup = lastSuccessFromRuns({ listByJob: (_id, limit, offset) => runs.list(limit, offset) });
    expect(lookup(1)).toEqual(at("2026-01-01T03:00:00Z"));
    expect(lastSuccessFromRuns({ listByJob: () => [] })(1)).toBeNull();
  });

  it("lastSuccessFromRuns goes by sequence and skips a success that was not read back in full", () => {
    const runs = new RunsRepo(db);
    const base = { jobName: "app", sourceKind: "sqlite", trigger: "schedule" as const, status: "success" as const };
    runs.create({ ...base, startedAt: at("2026-01-01T03:00:00Z"), verifiedAt: at("2026-01-01T03:01:00Z") });
    // made later, by a clock 700 days behind: still the newer one
    runs.create({ ...base, startedAt: at("2024-02-01T03:00:00Z"), verifiedAt: at("2024-02-01T03:01:00Z") });
    // newest, but not read back: not a good backup
    runs.create({ ...base, startedAt: at("2026-01-03T03:00:00Z") });
    const lookup = lastSuccessFromRuns({ listByJob: (_id, limit, offset) => runs.list(limit, offset) });
    expect(lookup(1)).toEqual(at("2024-02-01T03:00:00Z"));
  });

  it("a last success recorded in the future does not silence the check: it counts from when it was first seen", async () => {
    successes.set(1, at("2027-02-14T03:00:00Z")); // a clock 400 days ahead made it
    await deadman().check(at("2026-01-10T04:00:00Z"), [nightly]);
    expect(await deadman().check(at("2026-01-12T03:59:00Z"), [nightly])).toEqual([]);
    expect(await deadman().check(at("2026-01-12T04:01:00Z"), [nightly])).toEqual([{ kind: "overdue", jobId: 1, job: "app-nightly" }]);
    expect(alerts.map((a) => a.key)).toEqual([ALERT_DEADMAN]);
  });
});
