import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { FULL_ADMIN_RIGHTS } from "../fake-telegram/state.js";
import { flipByte, snapshotTree, writeFourPartTree } from "../helpers/tree.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

const ADMIN = 111;
const CHANNEL = -1005151515151;
const MIRROR = -1005252525252;

/**
 * Issue 12, item 4: a Telegram destination names a mirror chat. Every verified run is copied
 * there (copyMessages), read back and recorded as a second copy; restore and verify fall back
 * to it when the main chat's copy is damaged or gone, and pruning deletes both.
 */
describe("a destination's mirror chat", () => {
  let fake: FakeTelegram;
  let ws: Workspace;
  let app: App;
  let dataDir: string;

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: ADMIN, firstName: "Admin" });
    fake.createChannel({ id: CHANNEL, title: "Backups" });
    fake.createChannel({ id: MIRROR, title: "Backups (mirror)" });
    ws = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_SELF_HOSTED: "false", ADMIN_IDS: String(ADMIN) });
    dataDir = path.join(ws.dir, "data-to-save");
    writeFourPartTree(dataDir);
    const yaml = `
sources:
  - { name: files, kind: directory, path: ${dataDir} }
destinations:
  - { name: channel, kind: telegram, chat_id: "${CHANNEL}", mirror_chat_id: "${MIRROR}" }
jobs:
  - { name: files, source: files, destinations: [channel], schedule: "0 3 * * *", compression: none, part_size: 1MiB, retention: { keep_last: 1 } }
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

  async function backup() {
    const result = await app.executor.execute("files", "manual");
    expect(result.status, result.error ?? "").toBe("success");
    expect(result.parts).toBe(4);
    const parts = app.runs.liveParts(result.runId);
    const at = (copy: number, index: number) => parts.find((p) => p.copy === copy && p.partIndex === index)!;
    return { ...result, parts, at };
  }

  it("the config round-trips the mirror chat", async () => {
    const r = await ws.cli(["config", "export"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/mirror_chat_id: "?-1005252525252"?/);
  });

  it("copies every message of a verified run to the mirror chat, each with a file of its own, recorded as a second copy", async () => {
    const run = await backup();
    const mirrored = run.parts.filter((p) => p.copy === 1);
    expect(mirrored.map((p) => p.partIndex).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(mirrored.every((p) => p.locator === String(MIRROR))).toBe(true);
    const docs = fake.documents(MIRROR).filter((m) => mirrored.some((p) => p.messageId === m.message_id));
    expect(docs).toHaveLength(5);
    expect(docs.map((m) => m.caption).sort()).toEqual(mirrored.map((p) => `🪞 files · mirror copy of ${p.name}`).sort());
    for (const p of mirrored) expect(p.fileId).not.toBe(run.at(0, p.partIndex).fileId);
  });

  it("a corrupt part and a lost part in the main chat: verify names the bad main copies and the good mirror copies; restore succeeds from the mirror", async () => {
    const run = await backup();
    flipByte(fake.filePath(run.at(0, 2).fileId!));
    rmSync(fake.filePath(run.at(0, 3).fileId!));

    const v = await ws.cli(["verify", String(run.runId)]);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(new RegExp(`^channel · part 2/4 · ${run.fileName}\\.002: CORRUPT \\(sha256 `, "m"));
    expect(v.stdout).toMatch(new RegExp(`^channel · part 3/4 · ${run.fileName}\\.003: cannot be read back \\(`, "m"));
    expect(v.stdout).toContain(`channel (mirror ${MIRROR}) · part 2/4 · ${run.fileName}.002: ok\n`);
    expect(v.stdout).toContain(`channel (mirror ${MIRROR}) · part 3/4 · ${run.fileName}.003: ok\n`);
    expect(v.stdout).toContain(`run ${run.runId}: 2 stored copies are bad, but the run is still restorable`);

    const target = await ws.directoryTarget();
    const r = await ws.cli(["restore", String(run.runId), "--to", target.name]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`note: passed over channel · part 2 · ${run.fileName}.002: corrupt`);
    expect(await snapshotTree(target.dir)).toEqual(await snapshotTree(dataDir));
  });

  it("pruning deletes the mirror copies too", async () => {
    const old = await backup();
    const oldMirror = old.parts.filter((p) => p.copy === 1).map((p) => p.messageId!);
    expect(oldMirror).toHaveLength(5);
    const next = await backup(); // keep_last 1 prunes the previous run
    expect(app.runs.get(old.runId)!.expiredAt).not.toBeNull();
    expect(fake.deletedMessageIds(MIRROR)).toEqual(expect.arrayContaining(oldMirror));
    expect(next.parts.filter((p) => p.copy === 1)).toHaveLength(5);
  });

  it("the catalog lists the mirror copies; a new host adopting the chat restores from the mirror when a main part is gone", async () => {
    const run = await backup();
    const fresh = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_SELF_HOSTED: "false", ADMIN_IDS: String(ADMIN) });
    try {
      const adopted = await fresh.cli(["adopt", String(CHANNEL), "--yes"]);
      expect(adopted.code, adopted.stderr).toBe(0);
      const here = Number(new RegExp(`^ {2}run ${run.runId} \\(files\\) is run (\\d+) here`, "m").exec(adopted.stdout)?.[1]);
      expect(here).toBeGreaterThan(0);
      const exported = await fresh.cli(["config", "export"]);
      expect(exported.stdout).toMatch(/mirror_chat_id: "?-1005252525252"?/);

      rmSync(fake.filePath(run.at(0, 1).fileId!));
      const target = await fresh.directoryTarget();
      const r = await fresh.cli(["restore", String(here), "--to", target.name]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`note: passed over channel · part 1 · ${run.fileName}.001`);
      expect(await snapshotTree(target.dir)).toEqual(await snapshotTree(dataDir));
    } finally {
      fresh.remove();
    }
  });

  it("a mirror chat the bot cannot post to: the run still succeeds, the admins are warned once, repeats edit that warning, the next good copy says it recovered", async () => {
    const alerts = () => fake.messages(ADMIN).filter((m) => (m.text ?? "").includes("mirror chat of channel"));
    fake.setBotMembership(MIRROR, { status: "left" });
    let warningId = 0;
    try {
      const result = await app.executor.execute("files", "manual");
      expect(result.status).toBe("success");
      expect(result.mirrorFailures).toEqual([expect.objectContaining({ destination: "channel" })]);
      expect(app.runs.liveParts(result.runId).filter((p) => p.copy === 1)).toEqual([]);
      expect(alerts()).toHaveLength(1);
      const [warning] = alerts();
      expect(warning!.text).toMatch(/^⚠️ The run of files could not be copied to the mirror chat of channel:/);
      expect(warning!.disable_notification).toBe(false);
      warningId = warning!.message_id;

      // The same failure again and again: no new message, the first one counts the runs.
      for (const count of [2, 3]) {
        const again = await app.executor.execute("files", "manual");
        expect(again.status).toBe("success");
        expect(again.mirrorFailures).toHaveLength(1);
        expect(alerts()).toHaveLength(1);
        expect(alerts()[0]!.message_id).toBe(warningId);
        expect(alerts()[0]!.text).toMatch(new RegExp(`^⚠️ The mirror chat of channel still gets no copies of files: ${count} runs in a row since `));
      }
    } finally {
      fake.setBotMembership(MIRROR, { status: "administrator", rights: FULL_ADMIN_RIGHTS });
    }

    // Copied again: one quiet message, a reply to the warning, and the episode is over.
    const good = await app.executor.execute("files", "manual");
    expect(good.status).toBe("success");
    expect(good.mirrorFailures).toBeUndefined();
    expect(good.mirrored).toEqual([expect.objectContaining({ destination: "channel" })]);
    const recovered = fake.messages(ADMIN).filter((m) => (m.text ?? "").startsWith("✅ The mirror chat of channel has copies of files again"));
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.text).toContain("after 3 failed copies since");
    expect(recovered[0]!.reply_to_message?.message_id).toBe(warningId);
    expect(recovered[0]!.disable_notification).toBe(true);

    // A later failure is news again: a new, loud warning.
    fake.setBotMembership(MIRROR, { status: "left" });
    try {
      await app.executor.execute("files", "manual");
      const latest = alerts().at(-1)!;
      expect(latest.message_id).not.toBe(warningId);
      expect(latest.text).toMatch(/^⚠️ The run of files could not be copied to the mirror chat of channel:/);
      expect(latest.disable_notification).toBe(false);
    } finally {
      fake.setBotMembership(MIRROR, { status: "administrator", rights: FULL_ADMIN_RIGHTS });
    }
  });
});
