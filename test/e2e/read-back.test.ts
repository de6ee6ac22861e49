import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

const ADMIN = 111;
const CHANNEL = -1005151515151;

/**
 * Item 7 of issue 9: every part is read back right after its upload. A blip on the way back
 * (a 500, a dropped or stalled download) is retried like an upload; only a copy that stays
 * wrong is uploaded again, once; only a second wrong copy fails the run.
 */
describe("reading parts back after upload", () => {
  let fake: FakeTelegram;
  let ws: Workspace;
  let app: App;

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: ADMIN, firstName: "Admin" });
    fake.createChannel({ id: CHANNEL, title: "Backups" });
    ws = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_SELF_HOSTED: "false", ADMIN_IDS: String(ADMIN) });
    mkdirSync(path.join(ws.dir, "tree"));
    writeFileSync(path.join(ws.dir, "tree", "data.bin"), randomBytes(1_500_000)); // two 1 MiB parts
    const yaml = `
sources:
  - { name: tree, kind: directory, path: ${path.join(ws.dir, "tree")} }
destinations:
  - { name: channel, kind: telegram, chat_id: "${CHANNEL}" }
jobs:
  - { name: files, source: tree, destinations: [channel], schedule: "0 3 * * *", compression: none, part_size: 1MiB }
`;
    const r = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(r.code, r.stderr).toBe(0);
    app = await ws.app({}, { retry: { attempts: 4, baseDelayMs: 50, maxDelayMs: 200 }, telegramTimeoutSeconds: 10, readBackIdleMs: 700 });
  });

  afterAll(async () => {
    app?.close();
    await fake?.close();
    ws?.remove();
  });

  const partDocs = (fileName: string, includeDeleted = false) =>
    fake.messages(CHANNEL, { includeDeleted }).filter((m) => m.document?.file_name?.startsWith(`${fileName}.0`));
  const uploads = () => fake.requests.filter((r) => r.method === "sendDocument").length;

  it("retries a 500, a dropped download and a stalled one: the run succeeds with every part read back, each stored once", async () => {
    fake.failNext("getFile", { kind: "500" });
    fake.failNext("download", { kind: "drop" });
    fake.failNext("download", { kind: "stall", ms: 300_000, afterBytes: 4096 });
    const before = uploads();
    const result = await app.executor.execute("files", "manual");
    expect(result.error).toBeNull();
    expect(result.status).toBe("success");
    expect(result.parts).toBe(2);
    expect(result.verified).toBe(true);
    expect(app.runs.get(result.runId)!.verifiedAt).not.toBeNull();
    expect(fake.pendingFaults()).toBe(0);
    // nothing was uploaded twice: two parts, the manifest, and the chat's catalog
    expect(uploads() - before).toBe(4);
    expect(partDocs(result.fileName, true).map((m) => m.document!.file_name)).toEqual([`${result.fileName}.001`, `${result.fileName}.002`]);
    const success = fake.messages(CHANNEL).find((m) => m.text?.startsWith("✅") && m.text.includes(result.fileName))!;
    expect(success.text).toMatch(/Verified: yes/);
  }, 60_000);

  it("uploads a part that keeps reading back wrong once more; the bad copy is removed and the run succeeds", async () => {
    fake.failNext("download", { kind: "corrupt" }, 2);
    const before = uploads();
    const result = await app.executor.execute("files", "manual");
    expect(result.error).toBeNull();
    expect(result.status).toBe("success");
    expect(result.verified).toBe(true);
    expect(fake.pendingFaults()).toBe(0);
    expect(uploads() - before).toBe(5); // part 1 twice, part 2, the manifest, the chat's catalog
    const all = partDocs(result.fileName, true);
    expect(all.map((m) => m.document!.file_name)).toEqual([`${result.fileName}.001`, `${result.fileName}.001`, `${result.fileName}.002`]);
    expect(all[0]!.deleted).toBe(true); // the copy that read back wrong
    expect(partDocs(result.fileName).map((m) => m.document!.file_name)).toEqual([`${result.fileName}.001`, `${result.fileName}.002`]);
    // the run's index and manifest point at the good copy
    const live = app.runs.liveParts(result.runId).filter((p) => p.partIndex === 1);
    expect(live).toHaveLength(1);
    expect(live[0]!.messageId).toBe(all[1]!.message_id);
    const verify = await ws.cli(["verify", String(result.runId)]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  }, 60_000);

  it("fails the run when the second copy reads back wrong too, with a clear reason, and discards every part", async () => {
    fake.failNext("download", { kind: "corrupt" }, 4);
    const alertsBefore = fake.messages(ADMIN).length;
    const result = await app.executor.execute("files", "manual");
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(
      new RegExp(`^verify failed: channel: ${escapeRegExp(result.fileName)}\\.001 does not match \\(sha256 [0-9a-f]{12}…, expected [0-9a-f]{12}…\\), also after uploading it again$`),
    );
    expect(fake.pendingFaults()).toBe(0);
    expect(partDocs(result.fileName)).toEqual([]);
    expect(partDocs(result.fileName, true)).toHaveLength(2);
    expect(app.runs.liveParts(result.runId)).toEqual([]);
    expect(ws.spoolEntries()).toEqual([]);
    const alert = fake.messages(ADMIN).slice(alertsBefore).find((m) => m.text?.includes("Backup FAILED: files"));
    expect(alert?.text).toContain("also after uploading it again");
  }, 60_000);

  it("gives up on a destination that stays unreachable for reads after the retries", async () => {
    fake.failNext("download", { kind: "500" }, 8);
    const result = await app.executor.execute("files", "manual");
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(new RegExp(`^verify failed: channel: ${escapeRegExp(result.fileName)}\\.001 cannot be read back: .*500.*, also after uploading it again$`));
    expect(fake.pendingFaults()).toBe(0);
    expect(partDocs(result.fileName)).toEqual([]);
    expect(ws.spoolEntries()).toEqual([]);
  }, 60_000);
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
