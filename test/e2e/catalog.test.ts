import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Api } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { createTelegramCatalogChat } from "../../src/destinations/telegram-catalog.js";
import { CATALOG_FILE, CatalogVersionError, isComplete, parseCatalog, readPinnedCatalog, type Catalog } from "../../src/engine/catalog.js";
import { INSTALLATION_KEY } from "../../src/engine/installation.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

const CHANNEL = -1001234500021;
const ADMIN = 111;

/** The chat's pinned catalog, kept current through the fake Bot API. */
describe("the catalog a channel holds about itself", () => {
  let fake: FakeTelegram;
  let ws: Workspace;
  let app: App;
  const read = () => readPinnedCatalog(createTelegramCatalogChat({ token: fake.token, apiRoot: fake.apiRoot, chat: String(CHANNEL) }));
  const runIds = (c: Catalog) => c.runs.map((r) => r.run_id).sort((a, b) => a - b);
  const adminTexts = () => fake.messages(ADMIN).map((m) => m.text ?? "");

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: ADMIN });
    fake.createChannel({ id: CHANNEL });
    ws = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, ADMIN_IDS: String(ADMIN) });
    const files = path.join(ws.dir, "files");
    mkdirSync(files);
    writeFileSync(path.join(files, "a.txt"), "some content\n".repeat(50));
    const yaml = `
sources:
  - { name: files, kind: directory, path: ${files} }
destinations:
  - { name: channel, kind: telegram, chat_id: "${CHANNEL}" }
jobs:
  - { name: files, source: files, destinations: [channel], schedule: "0 3 * * *", compression: gzip, retention: { keep_last: 2 } }
`;
    const imported = await ws.cli(["config", "import", ws.writeFile("c.yaml", yaml)]);
    expect(imported.stderr).toBe("");
    // a small document size, so the catalog is chained over several documents
    app = await ws.app({}, { catalogDocumentBytes: 1500 });
  });

  afterAll(async () => {
    app?.close();
    await fake?.close();
    ws?.remove();
  });

  it("is pinned after every run and prune, lists exactly the kept runs with their parts, and replaces the previous one", async () => {
    const r1 = await app.executor.execute("files", "manual");
    expect(r1.status).toBe("success");
    const first = await read();
    expect(first.installation_id).toBe(app.settings.get(INSTALLATION_KEY));
    expect(runIds(first)).toEqual([r1.runId]);
    expect(first.jobs).toEqual([
      expect.objectContaining({ name: "files", schedule: "0 3 * * *", compression: "gzip", encryption: { type: "none" }, retention: { keep_last: 2 }, source: expect.objectContaining({ kind: "directory", has_password: false }) }),
    ]);
    const run = first.runs[0]!;
    expect(isComplete(run)).toBe(true);
    const live = app.runs.liveParts(r1.runId);
    expect(run.parts.map((p) => [p.index, p.message_id, p.file_id, p.sha256])).toEqual(live.map((p) => [p.partIndex, p.messageId, p.fileId, p.sha256]));
    const pinnedBefore = fake.messages(CHANNEL).filter((m) => m.pinned);

    const r2 = await app.executor.execute("files", "manual");
    const r3 = await app.executor.execute("files", "manual"); // keep_last 2 prunes r1
    expect(app.runs.get(r1.runId)!.expiredAt).not.toBeNull();
    const third = await read();
    expect(runIds(third)).toEqual([r2.runId, r3.runId]);
    expect(third.sequence).toBe(3);
    // the catalogs before it are gone from the chat (they were younger than 48 hours)
    const catalogDocs = fake.documents(CHANNEL).filter((m) => m.document!.file_name!.startsWith(CATALOG_FILE));
    expect(catalogDocs.filter((m) => m.document!.file_name === CATALOG_FILE)).toHaveLength(1);
    for (const m of pinnedBefore) expect(fake.deletedMessageIds(CHANNEL)).toContain(m.message_id);
  });

  it("is chained over several documents when it is too large for one, and read back whole", async () => {
    const head = fake.messages(CHANNEL).filter((m) => m.pinned).at(-1)!;
    expect(head.document!.file_name).toBe(CATALOG_FILE);
    const headJson = JSON.parse((await fake.downloadFile(head.document!.file_id)).toString("utf8"));
    expect(headJson.chain.parts.length).toBeGreaterThan(1);
    expect(runIds(await read())).toHaveLength(2);
  });

  it("survives an update interrupted after the upload and before the pin: the previous catalog stays the chat's", async () => {
    const before = await read();
    // both publications of this run (before its prune deletes anything, and after the run) are cut at the pin
    fake.failNext("pinChatMessage", { kind: "drop" }, 2);
    const r4 = await app.executor.execute("files", "manual");
    expect(r4.status).toBe("success"); // a failed catalog update never fails the run
    expect(fake.pendingFaults("pinChatMessage")).toBe(0);
    const after = await read();
    expect(after.sequence).toBe(before.sequence);
    expect(runIds(after)).toEqual(runIds(before));
    // every run the valid catalog lists is still in the chat and whole
    const live = new Set(fake.messages(CHANNEL).map((m) => m.message_id));
    for (const r of after.runs) for (const p of r.parts) expect(live).toContain(p.message_id);
    // the next run's catalog has every kept run again, the interrupted one's included
    const r5 = await app.executor.execute("files", "manual");
    expect(runIds(await read())).toEqual([r4.runId, r5.runId]);
  });

  it("is pinned again, with one warning to the admins, when someone unpinned it", async () => {
    const api = new Api(fake.token, { apiRoot: fake.apiRoot });
    await api.unpinAllChatMessages(CHANNEL);
    await expect(read()).rejects.toThrow(/no pinned message/);
    const warning = /no longer the chat's pinned message/;
    expect(adminTexts().filter((t) => warning.test(t))).toHaveLength(0);
    const r6 = await app.executor.execute("files", "manual");
    expect(runIds(await read())).toContain(r6.runId);
    expect(adminTexts().filter((t) => warning.test(t))).toHaveLength(1);
    await app.executor.execute("files", "manual");
    expect(adminTexts().filter((t) => warning.test(t))).toHaveLength(1);
  });

  it("refuses a catalog of a newer format version with a clear message", async () => {
    const doc = Buffer.from(JSON.stringify({ format: "tele-backup-catalog", version: 99, installation_id: "x", runs: [], jobs: [] }));
    await expect(parseCatalog(doc, async () => Buffer.alloc(0))).rejects.toThrow(CatalogVersionError);
    await expect(parseCatalog(doc, async () => Buffer.alloc(0))).rejects.toThrow(/newer Tele-Backup \(catalog format 99; this version reads up to 1\)/);
  });

  it("in a chat where the bot may not pin: backups and pruning go on, the admins are told once", async () => {
    const closed = -1001234500022;
    fake.createChannel({ id: closed, botRights: { can_post_messages: true, can_delete_messages: true, can_edit_messages: false } });
    app.destinations.create({ name: "no-pin", kind: "telegram", chat_id: String(closed) });
    app.jobs.create({ name: "no-pin", source: "files", destinations: ["no-pin"], schedule: "0 3 * * *", retention: { keep_last: 1 } });
    const refused = /catalog of no-pin .* cannot be published/;
    const r1 = await app.executor.execute("no-pin", "manual");
    const r2 = await app.executor.execute("no-pin", "manual");
    expect([r1.status, r2.status]).toEqual(["success", "success"]);
    expect(app.runs.get(r1.runId)!.expiredAt).not.toBeNull(); // pruned all the same
    expect(app.runs.liveParts(r1.runId)).toEqual([]);
    expect(adminTexts().filter((t) => refused.test(t))).toHaveLength(1);
    expect(fake.messages(closed).filter((m) => m.document?.file_name === CATALOG_FILE)).toEqual([]);
  });
});
