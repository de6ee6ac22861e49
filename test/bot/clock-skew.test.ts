import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatTime } from "../../src/bot/format.js";
import type { Clock } from "../../src/scheduler/clock.js";
import { ADMIN_ID, buttonsOf, startHarness, type Harness } from "./harness.js";

const CHANNEL = -1001234567890;
const DAY = 86_400_000;
const T0 = Date.parse("2026-03-02T03:00:00Z");

/** A clock the test sets, forwards and backwards, as a VM's clock goes before and after NTP. */
class SettableClock implements Clock {
  constructor(private t: number) {}
  set(t: number): void {
    this.t = t;
  }
  now(): Date {
    return new Date(this.t);
  }
  async sleep(): Promise<void> {}
}

/**
 * Issue 9, item 4: retention goes by the run sequence, not by the clock. Runs go through the
 * job executor (backup → success message → pruner → clock-skew alert) into a channel of the fake
 * Bot API, with an injected clock; /status is asked through the bot.
 */
describe("clock skew: retention by sequence, one alert, /status by sequence", () => {
  let h: Harness;
  const clock = new SettableClock(T0);

  beforeAll(async () => {
    h = await startHarness({ withNotifier: true, clock });
    h.fake.createChannel({ id: CHANNEL, title: "Backups" });
    const dir = path.join(h.ws.dir, "configs");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "app.conf"), "answer = 42\n");
    h.app.sources.create({ name: "configs", kind: "directory", path: dir });
    h.app.destinations.create({ name: "channel", kind: "telegram", chat_id: String(CHANNEL) });
    h.app.jobs.create({ name: "configs-nightly", source: "configs", destinations: ["channel"], schedule: "0 3 * * *", compression: "gzip", retention: { keep_last: 1 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  const runAt = async (t: number) => {
    clock.set(t);
    const result = await h.app.executor.execute("configs-nightly", "schedule");
    expect(result.status, result.error ?? "").toBe("success");
    expect(result.verified).toBe(true);
    return result.runId;
  };
  const expired = (id: number) => h.app.runs.get(id)!.expiredAt !== null;
  const skewAlerts = () => h.fake.messages(ADMIN_ID).filter((m) => m.sent_by_bot !== undefined && (m.text ?? "").includes("Clock error"));

  it("keeps every run made after a clock 400 days ahead and one 700 days behind, alerts once, and /status shows the newest run by sequence", async () => {
    // A normal start: keep_last 1 prunes by sequence.
    const r1 = await runAt(T0);
    const r2 = await runAt(T0 + DAY);
    expect(expired(r1)).toBe(true);
    expect(expired(r2)).toBe(false);

    // The VM boots 400 days ahead: nothing tells yet (the clock agrees with itself).
    const ahead = await runAt(T0 + 2 * DAY + 400 * DAY);
    // Then 700 days behind: the run from the future now lies after "now": pruning stops.
    const behind = await runAt(T0 + 3 * DAY - 700 * DAY);
    // The clock is right again: three normal runs.
    const normal = [await runAt(T0 + 4 * DAY), await runAt(T0 + 5 * DAY), await runAt(T0 + 6 * DAY)];

    // Every run from the skew on is still there (keep_last 1 would have left only the newest).
    for (const id of [ahead, behind, ...normal]) expect(expired(id), `run #${id}`).toBe(false);
    for (const id of [ahead, behind, ...normal]) expect(h.app.runs.liveParts(id).length, `run #${id}`).toBeGreaterThan(0);
    // Each was reported as a success in the channel; none of their messages was deleted.
    expect(h.fake.messages(CHANNEL).filter((m) => (m.text ?? "").startsWith("✅ Backup done: configs-nightly"))).toHaveLength(7);

    // Exactly one alert, to the admin, naming the job, the run from the future and the clock it disagrees with.
    const alerts = skewAlerts();
    expect(alerts).toHaveLength(1);
    const alert = alerts[0]!.text!;
    expect(alert).toContain("Clock error in the run history of configs-nightly: pruning of configs-nightly is paused");
    expect(alert).toContain(`The clock now says ${new Date(T0 + 3 * DAY - 700 * DAY).toISOString().slice(0, 16).replace("T", " ")} UTC`);
    expect(alert).toMatch(new RegExp(`• run #${ahead} started ${new Date(T0 + 402 * DAY).toISOString().slice(0, 10)} 03:00 UTC, 1,099 days in the future`));
    expect(buttonsOf(alerts[0]!)).toEqual(["✅ The clock is right: resume pruning"]);

    // /status: the newest run by sequence (not the one dated 400 days ahead), and the pause.
    const status = await h.say("/status");
    const newest = formatTime(new Date(T0 + 6 * DAY), "en", "UTC");
    expect(status.text).toMatch(new RegExp(`configs-nightly\n(?:✅|⚠️|❌)+\nLast: ✅ success, ${newest} · next: `));
    expect(status.text).not.toContain(`Last: ✅ success, ${formatTime(new Date(T0 + 402 * DAY), "en", "UTC")}`);
    expect(status.text).toContain(`⏰ Pruning paused: clock error in runs #${ahead}, #${behind}. Check the host's clock.`);
    expect(status.text).toContain("needs attention");

    // The admin confirms the clock from the alert: the next run prunes by sequence again, without a new alert.
    await h.press(alerts[0]!, "The clock is right");
    await h.waitForText((t) => t.includes("Noted: the clock is right. Pruning of configs-nightly resumes"));
    const next = await runAt(T0 + 7 * DAY);
    for (const id of [ahead, behind, ...normal]) expect(expired(id), `run #${id}`).toBe(true);
    expect(expired(next)).toBe(false);
    expect(skewAlerts()).toHaveLength(1);
    const after = await h.say("/status");
    expect(after.text).not.toContain("Pruning paused");
    expect(after.text).toContain(`Last: ✅ success, ${formatTime(new Date(T0 + 7 * DAY), "en", "UTC")}`);
  });
});
