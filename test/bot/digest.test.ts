import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHANNEL_LOCALE_KEY } from "../../src/app.js";
import { DIGEST_DESTINATIONS_KEY, DIGEST_LAST_SENT_KEY } from "../../src/application/digest.js";
import { drills } from "../../src/db/schema.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { buttonsOf, startHarness, type Harness } from "./harness.js";

const DAY = 86_400_000;
const CHANNEL = -1006161616161;
const QUIET = -1006262626262;
const LIMIT = 4096;

/**
 * Issue 14, item 4: the weekly digest, opt-in per destination chat (a toggle under /status),
 * one message summing up the week's runs, sizes, failures, drills and watchdog findings of the
 * chat's jobs; for 20 jobs it fits one Telegram message in English and in Russian.
 */
describe("the weekly digest", () => {
  let h: Harness;
  let clock: ManualClock;
  const names: string[] = [];

  beforeAll(async () => {
    clock = new ManualClock("2027-06-07T09:00:00Z");
    h = await startHarness({ withNotifier: true, clock });
    h.fake.createChannel({ id: CHANNEL, title: "Backups" });
    h.fake.createChannel({ id: QUIET, title: "Quiet" });
    const dir = path.join(h.ws.dir, "to-save");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "a.txt"), "hello");
    h.app.sources.create({ name: "data", kind: "directory", path: dir });
    h.app.destinations.create({ name: "channel", kind: "telegram", chat_id: String(CHANNEL) });
    h.app.destinations.create({ name: "quiet", kind: "telegram", chat_id: String(QUIET) });
    for (let j = 0; j < 20; j++) {
      const name = `production-database-${String(j).padStart(2, "0")}`;
      names.push(name);
      h.app.jobs.create({ name, source: "data", destinations: ["channel"], schedule: "0 3 * * *", compression: "none" });
    }
    week();
    // An older run outside the week is not counted.
    const first = h.app.jobs.get(names[0]!);
    h.app.runs.create({ jobId: first.id, jobName: first.name, sourceKind: "directory", trigger: "schedule", status: "failed", startedAt: new Date(clock.now().getTime() - 9 * DAY), error: "old" });
  });
  afterAll(async () => {
    await h?.close();
  });

  /**
   * The week before the clock's now, for every job: a daily run (every fifth failed, every
   * seventh not verified), two drills; job 0's last run has three stored copies, two re-checked
   * by the watchdog this week and one found lost.
   */
  function week(): void {
    const channelId = h.app.destinations.get("channel").id;
    for (const [j, name] of names.entries()) {
      const job = h.app.jobs.get(name);
      for (let i = 0; i < 7; i++) {
        const at = new Date(clock.now().getTime() - (7 - i) * DAY + 3_600_000);
        const failed = (i + j) % 5 === 0;
        const run = h.app.runs.create({
          jobId: job.id, jobName: name, sourceKind: "directory", trigger: "schedule", status: failed ? "failed" : "success", startedAt: at, finishedAt: new Date(at.getTime() + 60_000),
          payloadSize: failed ? null : 1_234_567_890 + j, verifiedAt: failed || (i + j) % 7 === 0 ? null : at, error: failed ? "dump failed" : null,
        });
        if (j === 0 && i === 6) {
          for (const [n, mark] of (["checked", "checked", "lost"] as const).entries()) {
            h.app.runs.addPart({ runId: run.id, destinationId: channelId, partIndex: n + 1, name: `p.${n + 1}`, size: 10, sha256: "0".repeat(64), storedAt: at, ...(mark === "checked" ? { checkedAt: new Date(at.getTime() + DAY / 4) } : { lostAt: new Date(at.getTime() + DAY / 4), lostReason: "missing" as const }) });
          }
        }
        if (i === 2 || i === 5) h.app.db.insert(drills).values({ jobId: job.id, jobName: name, runId: run.id, trigger: "schedule", status: (i + j) % 3 === 0 ? "failed" : "passed", level: "full", owner: "test", startedAt: new Date(at.getTime() + DAY / 2), finishedAt: new Date(at.getTime() + DAY / 2 + 60_000) }).run();
      }
    }
  }

  const channelTexts = (chat = CHANNEL) => h.fake.messages(chat).filter((m) => m.sent_by_bot !== undefined).map((m) => m.text ?? "");

  it("is off until an admin turns it on for a chat under /status; nothing is sent before", async () => {
    expect(await h.app.digest.tick(clock.now())).toBe(0);
    expect(channelTexts().filter((t) => t.startsWith("📬"))).toEqual([]);
    const status = await h.say("/status");
    await h.idle();
    const last = h.current(h.lastBotMessageId());
    expect(buttonsOf(last)).toContain("📬 Weekly digest");
    await h.press(last, "📬 Weekly digest");
    const screen = h.current(last.message_id);
    expect(screen.text).toContain("📬 Weekly digest: once a week");
    expect(buttonsOf(screen)).toEqual(["▫️ channel", "▫️ quiet"]);
    await h.press(screen, "▫️ channel");
    expect(buttonsOf(h.current(last.message_id))).toEqual(["✅ channel", "▫️ quiet"]);
    expect(h.app.settings.get(DIGEST_DESTINATIONS_KEY)).toBe(JSON.stringify([h.app.destinations.get("channel").id]));
    expect(status.message_id).toBeGreaterThan(0);
  });

  it("English: one message into the opted-in chat only, with the week's totals and all 20 jobs; not again before a week has passed", async () => {
    expect(await h.app.digest.tick(clock.now())).toBe(1);
    const digests = channelTexts().filter((t) => t.startsWith("📬"));
    expect(digests).toHaveLength(1);
    const text = digests[0]!;
    expect(text.length).toBeLessThanOrEqual(LIMIT);
    expect(text.split("\n")[0]).toBe("📬 Week 31 May – 7 Jun (UTC)");
    // 140 runs: 28 failed ((i + j) % 5 === 0), 19 not verified among the successes.
    expect(text).toContain("Runs: 140 (✅ 93 · ⚠️ 19 · ❌ 28)");
    expect(text).toContain("Restore drills: 40 (🧪 ");
    expect(text).toContain("Watchdog: 2 stored copies re-checked · 🧩 1 lost");
    for (const name of names) expect(text).toContain(name);
    expect(text).toMatch(/^❌ production-database-00: 7 runs, 2 failed, 5\.7 GiB$/m);
    expect(channelTexts(QUIET).filter((t) => t.startsWith("📬"))).toEqual([]);

    await h.app.digest.tick(new Date(clock.now().getTime() + 6 * DAY));
    expect(channelTexts().filter((t) => t.startsWith("📬"))).toHaveLength(1);
  });

  it("Russian (the channel's language): a week later, one message within the limit for 20 jobs; turned off, none", async () => {
    h.app.settings.set(CHANNEL_LOCALE_KEY, "ru");
    await clock.advance(7 * DAY);
    week();
    expect(await h.app.digest.tick(clock.now())).toBe(1);
    const digests = channelTexts().filter((t) => t.startsWith("📬"));
    expect(digests).toHaveLength(2);
    const text = digests[1]!;
    expect(text.length).toBeLessThanOrEqual(LIMIT);
    expect(text.split("\n")[0]).toBe("📬 Неделя 7 июн. – 14 июн. (UTC)");
    expect(text).toContain("Запуски: 140 (✅ 93 · ⚠️ 19 · ❌ 28)");
    expect(text).toContain("Учения по восстановлению: 40 (🧪 пройдено ");
    expect(text).toContain("Сторож: перепроверено копий: 2 · 🧩 потеряно: 1");
    for (const name of names) expect(text).toContain(name);
    expect(text).toMatch(/^❌ production-database-00: запусков 7, с ошибкой 2, 5,7 ГиБ$/m);

    h.app.digest.toggle(h.app.destinations.get("channel").id);
    await clock.advance(7 * DAY);
    expect(await h.app.digest.tick(clock.now())).toBe(0);
    expect(channelTexts().filter((t) => t.startsWith("📬"))).toHaveLength(2);
  });

  it("a last digest recorded in the future (the clock was ahead, then set back): the next one comes a week from now, not on that date", async () => {
    const channel = h.app.destinations.get("channel").id;
    h.app.digest.toggle(channel); // turned off by the test before
    const sent = channelTexts().filter((t) => t.startsWith("📬")).length;
    try {
      h.app.settings.set(DIGEST_LAST_SENT_KEY, String(clock.now().getTime() + 200 * DAY));
      expect(await h.app.digest.tick(clock.now())).toBe(0);
      expect(Number(h.app.settings.get(DIGEST_LAST_SENT_KEY))).toBe(clock.now().getTime());
      expect(await h.app.digest.tick(new Date(clock.now().getTime() + 7 * DAY))).toBe(1);
      expect(channelTexts().filter((t) => t.startsWith("📬"))).toHaveLength(sent + 1);
    } finally {
      h.app.digest.toggle(channel);
    }
  });
});
