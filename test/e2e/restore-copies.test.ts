import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import type { RunPartRow } from "../../src/db/schema.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { flipByte, snapshotTree, writeFourPartTree } from "../helpers/tree.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

const ADMIN = 111;
const CHANNEL = -1004242424242;

/**
 * Issue 9, item 6: restore and verify use every copy. A job delivers each run to a local folder
 * ("nas") and to a Telegram channel (the fake Bot API, cloud limits); one copy of a part is
 * damaged in one of them and the run is restored through the real CLI from the other.
 */
describe("restore and verify from every copy", () => {
  let fake: FakeTelegram;
  let ws: Workspace;
  let app: App;
  let dataDir: string;

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: ADMIN, firstName: "Admin" });
    fake.createChannel({ id: CHANNEL, title: "Backups" });
    ws = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_SELF_HOSTED: "false", ADMIN_IDS: String(ADMIN) });
    dataDir = path.join(ws.dir, "data-to-save");
    writeFourPartTree(dataDir);
    const yaml = `
sources:
  - { name: files, kind: directory, path: ${dataDir} }
destinations:
  - { name: nas, kind: local, path: ${path.join(ws.dir, "nas")} }
  - { name: channel, kind: telegram, chat_id: "${CHANNEL}" }
jobs:
  - { name: files, source: files, destinations: [channel, nas], schedule: "0 3 * * *", compression: none, part_size: 1MiB }
`;
    const r = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(r.code, r.stderr).toBe(0);
    app = await ws.app();
  });

  afterAll(async () => {
    app?.close();
    await fake?.close();
    ws?.remove();
  });

  /** A fresh backup through the CLI; its run id, payload file name and parts by destination. */
  async function backup() {
    const r = await ws.cli(["backup", "files", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { runId: number; fileName: string; parts: number };
    expect(result.parts).toBe(4);
    const parts = app.runs.liveParts(result.runId);
    const nasId = app.destinations.get("nas").id;
    const at = (destination: "nas" | "channel", index: number): RunPartRow =>
      parts.find((p) => (destination === "nas") === (p.destinationId === nasId) && p.partIndex === index)!;
    return {
      ...result,
      /** The file on disk that holds this copy (the fake keeps the channel's files on disk too). */
      fileOf: (destination: "nas" | "channel", index: number) => {
        const p = at(destination, index);
        return destination === "nas" ? p.locator! : fake.filePath(p.fileId!);
      },
    };
  }

  /** A new, empty directory source to restore into. */
  it("a corrupt part in the local folder: verify names that copy and says the run is still restorable; restore takes the part from the channel", async () => {
    const run = await backup();
    flipByte(run.fileOf("nas", 2));

    const v = await ws.cli(["verify", String(run.runId)]);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(new RegExp(`^nas · part 2/4 · ${run.fileName}\\.002: CORRUPT \\(sha256 [0-9a-f]{12}…, expected [0-9a-f]{12}…\\)$`, "m"));
    expect(v.stdout).toContain(`channel · part 2/4 · ${run.fileName}.002: ok\n`);
    expect(v.stdout).toContain(`nas · part 1/4 · ${run.fileName}.001: ok\n`);
    expect(v.stdout).toContain(`channel · manifest · ${run.fileName}.manifest.json: ok\n`);
    expect(v.stdout.trim().split("\n").at(-1)).toBe(
      `run ${run.runId}: 1 stored copy is bad, but the run is still restorable: every part has an intact copy in another destination`,
    );

    const target = await ws.directoryTarget();
    const r = await ws.cli(["restore", String(run.runId), "--to", target.name]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^run ${run.runId} restored into source "${target.name}"`));
    expect(r.stderr).toMatch(new RegExp(`note: passed over nas · part 2 · ${run.fileName}\\.002: corrupt \\(sha256 [^)]*\\); took it from another copy`));
    expect(await snapshotTree(target.dir)).toEqual(await snapshotTree(dataDir));
  });

  it("a corrupt part in the channel (good locally): verify names the channel's copy; restore succeeds from the folder", async () => {
    const run = await backup();
    flipByte(run.fileOf("channel", 3));

    const v = await ws.cli(["verify", String(run.runId)]);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(new RegExp(`^channel · part 3/4 · ${run.fileName}\\.003: CORRUPT \\(sha256 `, "m"));
    expect(v.stdout).toContain(`nas · part 3/4 · ${run.fileName}.003: ok\n`);
    expect(v.stdout).toContain(`run ${run.runId}: 1 stored copy is bad, but the run is still restorable`);

    const target = await ws.directoryTarget();
    const r = await ws.cli(["restore", String(run.runId), "--to", target.name]);
    expect(r.code, r.stderr).toBe(0);
    expect(await snapshotTree(target.dir)).toEqual(await snapshotTree(dataDir));
  });

  it("damage on both sides, in different parts: each part comes from the copy that is intact", async () => {
    const run = await backup();
    flipByte(run.fileOf("nas", 1), 10);
    rmSync(run.fileOf("nas", 4));
    flipByte(run.fileOf("channel", 3));

    const v = await ws.cli(["verify", String(run.runId)]);
    expect(v.stdout).toContain(`nas · part 4/4 · ${run.fileName}.004: MISSING\n`);
    expect(v.stdout).toContain(`run ${run.runId}: 3 stored copies are bad, but the run is still restorable`);

    const file = path.join(ws.dir, `mixed-${run.runId}.tar`);
    const r = await ws.cli(["restore", String(run.runId), "--file", file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`note: passed over nas · part 1 · ${run.fileName}.001: corrupt`);
    expect(r.stderr).toContain(`note: passed over nas · part 4 · ${run.fileName}.004: missing; took it from another copy`);
    // the plain payload is the whole backup: restore it into a folder and compare
    const target = await ws.directoryTarget();
    const again = await ws.cli(["restore", String(run.runId), "--to", target.name]);
    expect(again.code, again.stderr).toBe(0);
    expect(await snapshotTree(target.dir)).toEqual(await snapshotTree(dataDir));
    expect(readFileSync(file).length).toBeGreaterThan(3_300_000);
  });

  it("a part with no intact copy anywhere: verify says the run cannot be restored; restore names every copy and writes nothing", async () => {
    const run = await backup();
    flipByte(run.fileOf("nas", 2));
    flipByte(run.fileOf("channel", 2));

    const v = await ws.cli(["verify", String(run.runId)]);
    expect(v.code).toBe(1);
    expect(v.stdout.trim().split("\n").at(-1)).toBe(
      `run ${run.runId}: FAILED — at least one part has no intact copy in any destination; this run cannot be restored by this tool`,
    );

    const target = await ws.directoryTarget();
    const r = await ws.cli(["restore", String(run.runId), "--to", target.name]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(`part 2 of run ${run.runId} has no intact copy \\(nas: ${run.fileName}\\.002 does not match \\(sha256 [^)]*\\); channel: ${run.fileName}\\.002 does not match \\(sha256 [^)]*\\)\\); nothing was restored`),
    );
    expect(readdirSync(target.dir)).toEqual([]);
  });
});
