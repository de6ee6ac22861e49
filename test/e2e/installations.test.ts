import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { INSTALLATION_KEY } from "../../src/engine/installation.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

const CHANNEL = -1001234500012;

/** Two installations (two data folders) posting to one channel, each with `keep_last: 1`. */
describe("several installations, one channel", () => {
  let fake: FakeTelegram;
  const ws: Workspace[] = [];
  const apps: App[] = [];

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: 111 });
    fake.createChannel({ id: CHANNEL });
    for (const name of ["a", "b"]) {
      const w = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, ADMIN_IDS: "111" });
      const files = path.join(w.dir, "files");
      mkdirSync(files);
      writeFileSync(path.join(files, "x.txt"), `installation ${name}\n`);
      const yaml = `
sources:
  - { name: files, kind: directory, path: ${files} }
destinations:
  - { name: channel, kind: telegram, chat_id: "${CHANNEL}" }
jobs:
  - { name: files, source: files, destinations: [channel], schedule: "0 3 * * *", compression: gzip, retention: { keep_last: 1 } }
`;
      const imported = await w.cli(["config", "import", w.writeFile("c.yaml", yaml)]);
      expect(imported.stderr).toBe("");
      expect(imported.code).toBe(0);
      ws.push(w);
      apps.push(await w.app());
    }
  });

  afterAll(async () => {
    for (const a of apps) a.close();
    await fake?.close();
    for (const w of ws) w.remove();
  });

  it("gives each data folder its own id, kept across restarts, on every run and manifest", async () => {
    const [a, b] = apps as [App, App];
    const idA = a.settings.get(INSTALLATION_KEY)!;
    expect(idA).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.settings.get(INSTALLATION_KEY)).not.toBe(idA);
    const again = await ws[0]!.app();
    expect(again.settings.get(INSTALLATION_KEY)).toBe(idA);
    again.close();
  });

  it("never deletes the other installation's runs, not even runs of the other one recorded in its own history", async () => {
    const [a, b] = apps as [App, App];
    const idA = a.settings.get(INSTALLATION_KEY)!;
    const a1 = await a.executor.execute("files", "manual");
    const b1 = await b.executor.execute("files", "manual");
    const a2 = await a.executor.execute("files", "manual");
    const b2 = await b.executor.execute("files", "manual");
    for (const r of [a1, b1, a2, b2]) expect(r.status).toBe("success");
    expect(a.runs.get(a2.runId)!.installationId).toBe(idA);
    expect(a.runs.get(a2.runId)!.manifest).toMatchObject({ installation_id: idA });

    // each pruned only its own first run
    expect(a.runs.get(a1.runId)!.expiredAt).not.toBeNull();
    expect(b.runs.get(b1.runId)!.expiredAt).not.toBeNull();
    const live = () => new Set(fake.messages(CHANNEL).map((m) => m.message_id));
    const aKept = a.runs.liveParts(a2.runId).map((p) => p.messageId!);
    const bKept = b.runs.liveParts(b2.runId).map((p) => p.messageId!);
    expect(aKept).toHaveLength(2);
    for (const id of [...aKept, ...bKept]) expect(live()).toContain(id);

    // B learns about A's kept run (as `adopt` without taking over records it): same job, A's installation id
    const jobB = b.jobs.findRow("files")!;
    const a2row = a.runs.get(a2.runId)!;
    const { id: _id, ...copy } = a2row;
    const foreign = b.runs.create({ ...copy, jobId: jobB.id, installationId: idA });
    for (const p of a.runs.liveParts(a2.runId)) {
      const { id: _pid, runId: _r, ...part } = p;
      b.runs.addPart({ ...part, runId: foreign.id, destinationId: b.runs.liveParts(b2.runId)[0]!.destinationId });
    }
    const b3 = await b.executor.execute("files", "manual");
    expect(b3.status).toBe("success");
    expect(b.runs.get(b2.runId)!.expiredAt).not.toBeNull(); // its own older run went
    expect(b.runs.get(foreign.id)!.expiredAt).toBeNull(); // A's run did not
    for (const id of aKept) expect(live()).toContain(id);
    // each pinned its own catalog over the other's without taking it for a catalog someone unpinned
    expect(fake.messages(111).map((m) => m.text ?? "").filter((t) => /no longer the chat's pinned message/.test(t))).toEqual([]);
  });

  it("a new host adopting the chat finds both installations' catalogs, though getChat shows only the newest pin", async () => {
    const [a, b] = apps as [App, App];
    const idA = a.settings.get(INSTALLATION_KEY)!;
    const idB = b.settings.get(INSTALLATION_KEY)!;
    const aKept = a.runs.list().filter((r) => r.installationId === idA && r.expiredAt == null && r.status === "success");
    const bKept = b.runs.list().filter((r) => r.installationId === idB && r.expiredAt == null && r.status === "success");
    expect(aKept).toHaveLength(1);
    expect(bKept).toHaveLength(1);

    const fresh = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, ADMIN_IDS: "111" });
    ws.push(fresh);
    const shown = await fresh.cli(["adopt", String(CHANNEL), "--yes"]);
    expect(shown.stderr).toBe("");
    expect(shown.code).toBe(0);
    // B pinned last; its catalog points to A's
    expect(shown.stdout).toMatch(new RegExp(`installation ${idB}`));
    expect(shown.stdout).toMatch(new RegExp(`^also in this chat: the catalog of installation ${idA} · `, "m"));
    // each kept run once (B's catalog also lists A's run it knows of), with the installation that holds it
    expect(shown.stdout).toMatch(/imported 2 runs \(0 already here\)/);
    const app = await fresh.app();
    try {
      const byFile = new Map(app.runs.list().map((r) => [r.fileName, r.installationId]));
      expect(byFile).toEqual(new Map([[aKept[0]!.fileName, idA], [bKept[0]!.fileName, idB]]));
    } finally {
      app.close();
    }
  });

  it("a takeover marks the runs handed over in the old catalogs, and the live old installation stops pruning them", async () => {
    const [a] = apps as [App, App];
    const idA = a.settings.get(INSTALLATION_KEY)!;
    const aRun = a.runs.list().find((r) => r.installationId === idA && r.expiredAt == null && r.status === "success")!;
    const aParts = a.runs.liveParts(aRun.id).map((p) => p.messageId!);

    const taker = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, ADMIN_IDS: "111" });
    ws.push(taker);
    const taken = await taker.cli(["adopt", String(CHANNEL), "--yes", "--take-over"]);
    expect(taken.stderr).toBe("");
    expect(taken.stdout).toMatch(new RegExp(`^1 run of installation ${idA} taken over`, "m"));
    expect(taken.stdout).toMatch(new RegExp(`^the catalog of installation ${idA} now marks the taken runs as handed over$`, "m"));
    const takerApp = await taker.app();
    const idC = takerApp.settings.get(INSTALLATION_KEY)!;
    takerApp.close();

    // a later adopt offers each run once, held by the taker; the edited old catalogs say "handed over"
    const later = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, ADMIN_IDS: "111" });
    ws.push(later);
    const seen = await later.cli(["adopt", String(CHANNEL)]);
    expect(seen.stderr).toBe("");
    const runLines = seen.stdout.split("\n").filter((l) => /^ {2}run \d+ · files · /.test(l));
    expect(runLines).toHaveLength(2);
    for (const l of runLines) expect(l).toContain(`installation ${idC}`);

    // A runs twice more with keep_last 1: its old run is the taker's now and stays in the chat
    for (let i = 0; i < 2; i++) expect((await a.executor.execute("files", "manual")).status).toBe("success");
    expect(a.runs.get(aRun.id)!.installationId).toBe(idC);
    expect(a.runs.get(aRun.id)!.expiredAt).toBeNull();
    const live = new Set(fake.messages(CHANNEL).map((m) => m.message_id));
    for (const id of aParts) expect(live).toContain(id);
  });
});
