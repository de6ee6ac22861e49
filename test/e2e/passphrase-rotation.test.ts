import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { snapshotTree } from "../helpers/tree.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

const OLD = "old-Passphrase-ALPHA-1";
const ROTATED = "rotated-Literal-BRAVO-2";
const THIRD = "third-Literal-CHARLIE-3";

/**
 * Issue 9, item 8: old backups stay restorable after a passphrase change. Each run keeps the
 * passphrase it was made with (as the job stored it then); restores use that one, and
 * `--passphrase-file` gives it when the stored one no longer opens the backup.
 */
describe("passphrase rotation", () => {
  let ws: Workspace;
  let app: App;
  let dataDir: string;
  const runs: Record<string, number> = {};

  beforeAll(async () => {
    ws = createWorkspace({ BACKUP_PASSPHRASE: OLD });
    dataDir = path.join(ws.dir, "data-to-save");
    mkdirSync(dataDir);
    writeFileSync(path.join(dataDir, "ledger.txt"), "2026-01-01 opening balance 100\n");
    const config = (passphrase: string) => `
sources:
  - { name: files, kind: directory, path: ${dataDir} }
destinations:
  - { name: nas, kind: local, path: ${path.join(ws.dir, "nas")} }
jobs:
  - { name: files, source: files, destinations: [nas], schedule: "0 3 * * *", encryption: { passphrase: "${passphrase}" } }
`;
    // 1. made with the env: reference (BACKUP_PASSPHRASE = OLD)
    expect((await ws.cli(["config", "import", ws.writeFile("v1.yaml", config("env:BACKUP_PASSPHRASE"))])).code).toBe(0);
    runs.old = await backup();
    // 2. rotated through config import to a literal passphrase
    expect((await ws.cli(["config", "import", ws.writeFile("v2.yaml", config(ROTATED))])).code).toBe(0);
    runs.rotated = await backup();
    // 3. rotated again through the jobs service (as the bot edits jobs)
    app = await ws.app();
    app.jobs.update("files", { encryption: { passphrase: THIRD } });
    writeFileSync(path.join(dataDir, "ledger.txt"), "2026-02-01 balance 250\n");
  });

  afterAll(() => {
    app?.close();
    ws?.remove();
  });

  async function backup(): Promise<number> {
    const r = await ws.cli(["backup", "files", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { runId: number }).runId;
  }

  const ledgerOf = (dir: string) => readFileSync(path.join(dir, "ledger.txt"), "utf8");

  it("keeps each run's passphrase encrypted with the run (never in plaintext)", () => {
    const rows = app.db.$client.prepare("select id, passphrase_enc from runs order by id").all() as Array<{ id: number; passphrase_enc: string | null }>;
    expect(rows.map((r) => r.id)).toEqual([runs.old, runs.rotated]);
    for (const r of rows) expect(r.passphrase_enc).toMatch(/\S{40,}/);
    const dump = JSON.stringify(rows);
    for (const secret of [OLD, ROTATED, "env:BACKUP_PASSPHRASE"]) expect(dump).not.toContain(secret);
  });

  it("restores runs made before each rotation with the passphrase stored with them", async () => {
    for (const [run, ledger] of [[runs.old, "opening balance 100"], [runs.rotated, "opening balance 100"]] as const) {
      const target = await ws.directoryTarget();
      const r = await ws.cli(["restore", String(run), "--to", target.name]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`run ${run} restored into source "${target.name}"`);
      expect(ledgerOf(target.dir)).toContain(ledger);
    }
  });

  it("when the stored passphrase no longer opens the run (its env variable changed): a clear error and nothing loaded; --passphrase-file works", async () => {
    const target = await ws.directoryTarget();
    const changed = await ws.cli(["restore", String(runs.old), "--to", target.name], { BACKUP_PASSPHRASE: "something-else-now" });
    expect(changed.code).not.toBe(0);
    expect(changed.stderr).toContain(
      `the passphrase stored with run ${runs.old} does not open it (was it changed?); give the one the backup was made with: --passphrase-file <file>; nothing was restored`,
    );
    expect(readdirSync(target.dir)).toEqual([]);

    const unset = await ws.cli(["restore", String(runs.old), "--to", target.name], { BACKUP_PASSPHRASE: undefined });
    expect(unset.code).not.toBe(0);
    expect(unset.stderr).toContain(`run ${runs.old} is encrypted with a passphrase and the one stored with it cannot be used`);
    expect(unset.stderr).toContain("environment variable BACKUP_PASSPHRASE (referenced as env:BACKUP_PASSPHRASE) is not set");
    expect(unset.stderr).toContain("give it with --passphrase-file <file>");
    expect(readdirSync(target.dir)).toEqual([]);

    const wrongFile = ws.writeFile("wrong.txt", "not-it\n");
    const wrong = await ws.cli(["restore", String(runs.old), "--to", target.name, "--passphrase-file", wrongFile], { BACKUP_PASSPHRASE: "something-else-now" });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain(`the passphrase given does not open run ${runs.old}; nothing was restored`);
    expect(readdirSync(target.dir)).toEqual([]);

    const rightFile = ws.writeFile("old-passphrase.txt", `${OLD}\n`);
    const ok = await ws.cli(["restore", String(runs.old), "--to", target.name, "--passphrase-file", rightFile], { BACKUP_PASSPHRASE: "something-else-now" });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ledgerOf(target.dir)).toContain("opening balance 100");
    expect(await snapshotTree(target.dir)).toEqual({ "ledger.txt": expect.objectContaining({ type: "file" }) });

    // No passphrase appears in anything the CLI printed.
    for (const out of [changed, unset, wrong, ok]) for (const secret of [OLD, ROTATED, THIRD, "something-else-now", "not-it"]) {
      expect(out.stdout + out.stderr).not.toContain(secret);
    }
  });

  it("a run made after the last rotation uses the newest passphrase", async () => {
    const run = await backup();
    const target = await ws.directoryTarget();
    const r = await ws.cli(["restore", String(run), "--to", target.name]);
    expect(r.code, r.stderr).toBe(0);
    expect(ledgerOf(target.dir)).toContain("balance 250");
  });
});
