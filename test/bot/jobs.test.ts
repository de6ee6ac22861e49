import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createPgDatabase, type PgDatabase } from "../helpers/pg.js";
import { ADMIN_ID, buttonsOf, startHarness, type Harness } from "./harness.js";

const SEED = `
create table items (id serial primary key, title text, doc jsonb, at timestamptz);
insert into items (title, doc, at) values ('Привет, 世界 🎉', '{"a": [1, {"b": null}]}', '2026-03-29 01:30:00+01'), (null, null, null);
insert into items (title, doc, at)
  select md5(g::text) || repeat('x', g % 40), jsonb_build_object('g', g), '2026-01-01'::timestamptz + (g || ' minutes')::interval
  from generate_series(1, 40000) g;
`;
const SNAPSHOT = `select id, title, doc::text, to_char(at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') from items order by id`;
const INTERVAL_MS = 200;

describe("jobs, run now, history, status and restore through the bot", () => {
  let h: Harness;
  let src: PgDatabase;
  let fresh: PgDatabase;
  let expected: string;
  let runId: number;

  beforeAll(async () => {
    h = await startHarness({ progressIntervalMs: INTERVAL_MS });
    src = await createPgDatabase("bot_src");
    fresh = await createPgDatabase("bot_fresh");
    await src.query(SEED);
    expected = await src.query(SNAPSHOT);
    const pg = (name: string, db: PgDatabase) =>
      h.app.sources.create({ name, kind: "postgres", host: db.config.host, port: db.config.port, database: db.name, user: db.config.user, password: "" });
    pg("app-db", src);
    pg("fresh-db", fresh);
    h.app.destinations.create({ name: "disk", kind: "local", path: h.backupsDir });
    h.app.destinations.create({ name: "disk-2", kind: "local", path: `${h.backupsDir}-2` });
    h.app.jobs.create({ name: "app-nightly", source: "app-db", destinations: ["disk"], schedule: "0 3 * * *", compression: "none", part_size: "1MiB" });
  });
  afterAll(async () => {
    await h?.close();
    await src?.drop();
    await fresh?.drop();
  });

  it("/jobs opens a job card with schedule, next run, last result and the actions", async () => {
    const list = await h.say("/jobs");
    expect(list.text).toContain("Jobs (1)");
    await h.press(list, "app-nightly");
    const card = h.current(list.message_id);
    expect(card.text).toContain("Job: app-nightly — enabled");
    expect(card.text).toContain("Schedule: 0 3 * * * (UTC)");
    expect(card.text).toMatch(/Next run: \d{1,2} \w{3} \d{4}, 03:00/);
    expect(card.text).toContain("Last result: never ran yet");
    expect(buttonsOf(card)).toEqual(expect.arrayContaining(["▶ Run now", "⏸ Disable", "🕒 Edit schedule", "📮 Edit destinations", "📜 History", "🗑 Delete"]));
  });

  it("Run now shows one progress message, edited in place, ending with the result", async () => {
    const cardId = h.lastBotMessageId();
    await h.press(cardId, "Run now");
    const progressId = h.lastBotMessageId();
    expect(progressId).toBeGreaterThan(cardId);
    const done = await h.waitForText((t) => t.includes("Backup done: app-nightly"));
    expect(done.message_id).toBe(progressId);
    expect(done.text).toMatch(/run #\d+/);
    expect(buttonsOf(done)).toEqual(["🗂 Job", "📜 History"]);
    runId = Number(/run #(\d+)/.exec(done.text!)![1]);
    expect(h.app.runs.get(runId)?.status).toBe("success");

    // No other message was posted for the run, and edits respect the interval.
    expect(h.lastBotMessageId()).toBe(progressId);
    const edits = h.fake.requestsFor("editMessageText").filter((r) => Number(r.params.message_id) === progressId);
    expect(edits.length).toBeGreaterThanOrEqual(1);
    const times = [h.fake.requestsFor("sendMessage").find((r) => (r.response as { result?: { message_id?: number } }).result?.message_id === progressId)!.at, ...edits.map((r) => r.at)];
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(INTERVAL_MS - 50);
    // Intermediate states were shown when the run lasted long enough to edit in between.
    for (const e of edits.slice(0, -1)) expect(String(e.params.text)).toMatch(/^⏳ Backup of app-nightly/);
  });

  it("/runnow <job> runs by name; an unknown job is explained", async () => {
    const reply = await h.say("/runnow no-such-job");
    expect(reply.text).toContain('There is no job called "no-such-job"');
    const progress = await h.say("/runnow app-nightly");
    expect(progress.text).toContain("Backup of app-nightly");
    await h.fake.waitFor(() => /Backup done/.test(h.current(progress.message_id).text ?? ""), 30_000, "second run done");
  });

  it("/logs lists the runs with status, size and duration; the job card's History too", async () => {
    const logs = await h.say("/logs");
    expect(logs.text).toContain(`#${runId} · app-nightly · run now`);
    expect(logs.text).toMatch(/✅ success · .+ · [\d.]+ (KiB|MiB) · [\d.]+ (ms|s)/);
    const byJob = await h.say("/logs app-nightly");
    expect(byJob.text).toContain("Runs of app-nightly");
    await h.press(byJob, "Job");
    await h.press(byJob, "History");
    expect(h.current(byJob.message_id).text).toContain(`#${runId}`);
  });

  it("/status shows every job with its last result and next run", async () => {
    h.app.jobs.create({ name: "never-run", source: "app-db", destinations: ["disk"], schedule: "*/5 * * * *" });
    const status = await h.say("/status");
    expect(status.text).toContain("📊 2 jobs");
    // Under each job's name: the strip of its last results (runs only), then its last and next run.
    expect(status.text).toMatch(/app-nightly\n✅+\nLast: ✅ success, .+ · next: \d/);
    expect(status.text).toMatch(/never-run\nLast: never ran · next: .+\n⚠️ No successful backup yet\./);
    h.app.jobs.delete("never-run");
  });

  it("refuses to delete a source that a job uses, with the reason", async () => {
    const list = await h.say("/sources");
    await h.press(list, "app-db");
    expect(h.current(list.message_id).text).toContain("Used by: app-nightly");
    expect(h.current(list.message_id).text).toContain("Password: none");
    await h.press(list, "Delete");
    expect(h.current(list.message_id).text).toContain('Delete the source "app-db"?');
    await h.press(list, "Yes, delete");
    expect(h.current(list.message_id).text).toBe('⛔ "app-db" cannot be deleted: it is used by app-nightly. Delete those jobs or change them first.');
    expect(h.app.sources.getByName("app-db")).not.toBeNull();

    const dests = await h.say("/destinations");
    await h.press(dests, "disk-2");
    await h.press(dests, "Delete");
    await h.press(dests, "Yes, delete");
    expect(h.current(dests.message_id).text).toContain('Destination "disk-2" deleted');
    h.app.destinations.create({ name: "disk-2", kind: "local", path: `${h.backupsDir}-2` });
  });

  /** The dialog's current prompt: the newest bot message that has buttons. */
  const prompt = () => h.fake.messages(ADMIN_ID).filter((m) => m.sent_by_bot !== undefined && buttonsOf(m).length > 0).at(-1)!;
  /** What the bot sent or edited in the admin chat after request `from`. */
  const saidSince = (from: number) =>
    h.fake.requests.filter((r) => r.seq > from && /^(sendMessage|editMessageText)$/i.test(r.method)).map((r) => String(r.params.text ?? "")).join("\n---\n");

  it("edits the schedule from the card through the schedule step, with validation and the next three run times", async () => {
    const list = await h.say("/jobs");
    await h.press(list, "app-nightly");
    await h.press(list, "Edit schedule");
    expect(prompt().text).toContain("When should it run?");
    let from = h.fake.requests.at(-1)!.seq;
    await h.say("every night please");
    expect(saidSince(from)).toContain("not a usable cron expression");
    from = h.fake.requests.at(-1)!.seq;
    await h.say("15 4 * * *");
    expect(prompt().text!.match(/^• .*04:15$/gm)).toHaveLength(3);
    await h.press(prompt(), "Looks right");
    expect(saidSince(from)).toContain('✅ Job "app-nightly" changed:\n• Schedule: 0 3 * * * → 15 4 * * *');
    expect(h.app.jobs.get("app-nightly").schedule).toBe("15 4 * * *");
    // The prompt is over: plain text is not taken as a schedule any more.
    expect((await h.say("30 5 * * *")).text).toContain("/help");
  });

  it("disables/enables a job and toggles its destinations", async () => {
    const list = await h.say("/jobs");
    await h.press(list, "app-nightly");
    await h.press(list, "Disable");
    expect(h.current(list.message_id).text).toContain("app-nightly — ⏸ disabled");
    expect(h.app.jobs.get("app-nightly").enabled).toBe(false);
    await h.press(list, "Enable");
    expect(h.app.jobs.get("app-nightly").enabled).toBe(true);

    // The destinations step of the edit dialog, the very one /newjob asks.
    await h.press(list, "Edit destinations");
    let picker = prompt();
    expect(buttonsOf(picker)).toEqual(["✅ disk · Folder on this server", "▫️ disk-2 · Folder on this server", "Done"]);
    await h.press(picker, "disk-2");
    await h.press(picker, "Done");
    expect(h.app.jobs.get("app-nightly").destinations).toEqual(["disk", "disk-2"]);
    // The card comes back with the new value; its button opens the step again.
    expect(prompt().text).toContain("Destinations: disk, disk-2\n");
    await h.press(prompt(), "Edit destinations");
    picker = prompt();
    await h.press(picker, "✅ disk-2");
    await h.press(picker, "✅ disk");
    // A job keeps at least one destination.
    await h.press(picker, "Done");
    expect(h.fake.callbackAnswers.at(-1)?.text).toBe("Select at least 1 first.");
    expect(h.app.jobs.get("app-nightly").destinations).toEqual(["disk", "disk-2"]);
    await h.press(picker, "▫️ disk ");
    await h.press(picker, "Done");
    expect(h.app.jobs.get("app-nightly").destinations).toEqual(["disk"]);
    expect(prompt().text).toContain("Destinations: disk\n");
  });

  it("/restore → job → run → another source → typed confirmation → identical content", async () => {
    const pick = await h.say("/restore");
    expect(pick.text).toContain("Restore: which job's backup?");
    await h.press(pick, "app-nightly");
    await h.press(pick, `#${runId} `);
    const targets = buttonsOf(h.current(pick.message_id));
    // The safest target first: a new database beside the original; replacing comes after.
    expect(targets[0]).toMatch(/^🆕 New database \S+_restored_\d{8}_\d{4} \(beside app-db\)$/);
    expect(targets).toContain("♻️ Replace app-db (the original source)");
    expect(targets).toContain("♻️ Replace fresh-db");
    expect(targets).toContain("📎 Send me the file");
    await h.press(pick, "Replace fresh-db");
    expect(h.current(pick.message_id).text).toContain('type the name of the target exactly: fresh-db');

    const wrong = await h.say("app-db");
    expect(wrong.text).toContain("That is not the target's name");
    expect(await fresh.query("select count(*) from pg_tables where schemaname = 'public'")).toBe("0");

    const progress = await h.say("fresh-db");
    expect(progress.text).toContain(`Restoring #${runId} → fresh-db`);
    const done = await h.waitForText((t) => t.startsWith(`✅ Restored backup #${runId}`), ADMIN_ID, 60_000);
    expect(done.message_id).toBe(progress.message_id);
    expect(done.text).toContain('into "fresh-db"');
    expect(await fresh.query(SNAPSHOT)).toBe(expected);
  });

  it("/restore can send the file itself", async () => {
    const pick = await h.say("/restore");
    await h.press(pick, "app-nightly");
    await h.press(pick, `#${runId} `);
    await h.press(pick, "Send me the file");
    const doc = await h.fake.waitFor(() => h.fake.documents(ADMIN_ID).at(-1), 60_000, "the restored file");
    expect(doc.document?.file_name).toMatch(/^app-nightly_\d{8}-\d{6}\.sql$/);
    expect(doc.caption).toBe(`Backup #${runId} of app-nightly`);
    const content = (await h.fake.downloadFile(doc.document!.file_id)).toString("utf8");
    expect(content).toContain("CREATE TABLE public.items");
    expect(content).toContain("Привет, 世界 🎉");
    // The temporary file is removed once it was sent.
    await vi.waitFor(() => expect(h.ws.spoolEntries().filter((e) => e.startsWith("bot-restore"))).toEqual([]), { timeout: 5000 });
  });

  it("/cancel leaves a pending confirmation", async () => {
    const pick = await h.say("/restore");
    await h.press(pick, "app-nightly");
    await h.press(pick, `#${runId} `);
    await h.press(pick, "Replace fresh-db");
    expect((await h.say("/cancel")).text).toBe("✖ Cancelled.");
    expect((await h.say("fresh-db")).text).toContain("/help");
    expect((await h.say("/cancel")).text).toBe("There was nothing to cancel.");
  });

  it("deletes a job after confirmation; then its source can go", async () => {
    const list = await h.say("/jobs");
    await h.press(list, "app-nightly");
    await h.press(list, "Delete");
    expect(h.current(list.message_id).text).toContain('Delete the job "app-nightly"?');
    await h.press(list, "No, keep it");
    expect(h.current(list.message_id).text).toContain("Job: app-nightly");
    await h.press(list, "Delete");
    await h.press(list, "Yes, delete");
    expect(h.current(list.message_id).text).toContain('Job "app-nightly" deleted.');
    expect(h.app.jobs.getByName("app-nightly")).toBeNull();
    // History stays readable.
    expect((await h.say("/logs")).text).toContain(`#${runId} · app-nightly`);

    const sources = await h.say("/sources");
    await h.press(sources, "app-db");
    await h.press(sources, "Delete");
    await h.press(sources, "Yes, delete");
    expect(h.current(sources.message_id).text).toContain('Source "app-db" deleted.');
  });
});
