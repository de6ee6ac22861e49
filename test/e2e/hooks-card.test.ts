import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../bot/harness.js";

/** The job card shows a job's hooks, ping and webhook read-only (they are set in YAML), never the URLs. */
describe("job card: hooks and monitoring", () => {
  let h: Harness;
  const token = "card-secret-token-4242";

  beforeAll(async () => {
    h = await startHarness();
    h.app.sources.create({ name: "notes", kind: "directory", path: h.backupsDir });
    h.app.destinations.create({ name: "disk", kind: "local", path: `${h.backupsDir}-out` });
    h.app.jobs.create({
      name: "with-hooks",
      source: "notes",
      destinations: ["disk"],
      schedule: "0 3 * * *",
      hooks: { before: [{ container: "app", run: "php artisan down" }], after: [{ container: "app", run: "php artisan up" }, { run: "echo done" }] },
      ping: `https://hc-ping.com/${token}`,
    });
    h.app.jobs.create({ name: "plain", source: "notes", destinations: ["disk"], schedule: "0 4 * * *" });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("counts the hooks of each stage and says whether a ping and a webhook are set", async () => {
    const list = await h.say("/jobs");
    await h.press(list, "with-hooks");
    const card = h.current(list.message_id);
    expect(card.text).toContain("🪝 Hooks: before 1 · after 2 · on failure 0 (YAML)");
    expect(card.text).toContain("📡 Ping: set · webhook: — (YAML)");
    expect(card.text).not.toContain(token);
  });

  it("a job without them shows neither line", async () => {
    const list = await h.say("/jobs");
    await h.press(list, "plain");
    const card = h.current(list.message_id);
    expect(card.text).toContain("Job: plain");
    expect(card.text).not.toContain("Hooks:");
    expect(card.text).not.toContain("Ping:");
  });
});
