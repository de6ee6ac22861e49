import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { STORE_MARK } from "../../src/destinations/local.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

const ADMIN = 111;

/**
 * A local destination on a disk that is not mounted. Its mountpoint is an empty folder all the
 * same (inside a container too: Docker bind-mounts it), so a backup written there used to land on
 * the wrong disk, read back fine, report ✅, and vanish from sight once the disk was mounted again.
 * Here with a real bind mount and `umount`: the run is refused before anything is written, the
 * admins are told why, and the backups go on once the disk is back, or once the user says the
 * folder was emptied on purpose.
 */
describe("a local destination whose disk is not mounted", () => {
  let fake: FakeTelegram;
  let ws: Workspace;
  let app: App;
  let disk: string;
  let mountpoint: string;
  const mounted = () => readFileSync("/proc/self/mounts", "utf8").split("\n").some((line) => line.split(" ")[1] === mountpoint);
  const mount = () => execFileSync("mount", ["--bind", disk, mountpoint]);
  const umount = () => execFileSync("umount", [mountpoint]);
  const stored = () => readdirSync(path.join(disk, "files")).filter((f) => !f.startsWith(".")).length;

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: ADMIN, firstName: "Admin" });
    ws = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_SELF_HOSTED: "false", ADMIN_IDS: String(ADMIN) });
    disk = path.join(ws.dir, "disk");
    mountpoint = path.join(ws.dir, "mnt", "nas");
    mkdirSync(disk);
    mkdirSync(mountpoint, { recursive: true });
    mkdirSync(path.join(ws.dir, "site"));
    writeFileSync(path.join(ws.dir, "site", "index.html"), "<h1>hello</h1>\n");
    mount();
    const yaml = `
sources:
  - { name: site, kind: directory, path: ${path.join(ws.dir, "site")} }
destinations:
  - { name: nas, kind: local, path: ${mountpoint} }
jobs:
  - { name: files, source: site, destinations: [nas], schedule: "0 3 * * *", compression: zstd }
`;
    const r = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(r.code, r.stderr).toBe(0);
    app = await ws.app();
  });

  afterAll(async () => {
    app?.close();
    await fake?.close();
    if (mountpoint) {
      try {
        umount();
      } catch {
        // not mounted (a failed test left it so)
      }
    }
    ws?.remove();
  });

  it("refuses to back up into the empty mountpoint, says why, writes nothing; goes on once the disk is back", async () => {
    const first = await app.executor.execute("files", "manual");
    expect(first.status, first.error ?? "").toBe("success");
    expect(existsSync(path.join(disk, STORE_MARK))).toBe(true);
    expect(stored()).toBe(2); // the part and the manifest

    umount();
    expect(mounted()).toBe(false);
    expect(readdirSync(mountpoint)).toEqual([]);
    const alertsBefore = fake.messages(ADMIN).length;
    const refused = await app.executor.execute("files", "manual");
    expect(refused.status).toBe("failed");
    expect(refused.error).toMatch(/^prepare failed: local destination "nas": .* is its disk mounted\? Nothing was written/);
    const alerts = fake.messages(ADMIN).slice(alertsBefore);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.text).toContain("Backup FAILED: files");
    expect(alerts[0]!.text).toContain(`the folder ${mountpoint} holds none of the newest backups recorded there, and not the mark tele-backup left in it. Is its disk mounted? Nothing was written`);
    expect(alerts[0]!.text).toContain(`create the file ${path.join(mountpoint, STORE_MARK)} first`);
    // Nothing on the wrong disk, nothing kept, nothing in the spool.
    expect(readdirSync(mountpoint)).toEqual([]);
    expect(app.runs.liveParts(refused.runId)).toEqual([]);
    expect(ws.spoolEntries()).toEqual([]);

    // The command line says the same, and exits 1.
    const cli = await ws.cli(["backup", "files"]);
    expect(cli.code, cli.stdout + cli.stderr).toBe(1);
    expect(cli.stdout).toMatch(/error: +prepare failed: local destination "nas": .* holds neither .* nor the newest backups recorded there: is its disk mounted\? Nothing was written/);
    expect(readdirSync(mountpoint)).toEqual([]);

    mount();
    expect(mounted()).toBe(true);
    const again = await app.executor.execute("files", "manual");
    expect(again.status, again.error ?? "").toBe("success");
    expect(stored()).toBe(4);
  });

  it("emptied on purpose: `rm -rf folder/*` keeps the mark and the next backup goes there; a folder replaced whole needs the mark made by hand", async () => {
    execFileSync("bash", ["-c", `rm -rf ${mountpoint}/*`]);
    expect(readdirSync(mountpoint)).toEqual([STORE_MARK]);
    const kept = await app.executor.execute("files", "manual");
    expect(kept.status, kept.error ?? "").toBe("success");

    for (const f of readdirSync(mountpoint)) rmSync(path.join(mountpoint, f), { recursive: true });
    const refused = await app.executor.execute("files", "manual");
    expect(refused.status).toBe("failed");
    expect(refused.error).toMatch(/is its disk mounted\?/);
    expect(readdirSync(mountpoint)).toEqual([]);

    writeFileSync(path.join(mountpoint, STORE_MARK), ""); // what the message asks for
    const made = await app.executor.execute("files", "manual");
    expect(made.status, made.error ?? "").toBe("success");
    expect(mounted()).toBe(true);
  });
});
