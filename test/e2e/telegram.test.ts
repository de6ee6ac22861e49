import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { FULL_ADMIN_RIGHTS } from "../fake-telegram/state.js";
import { createPgDatabase, type PgDatabase } from "../helpers/pg.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

const MiB = 1024 * 1024;
const ADMIN = 111;
const CHANNEL = -1001234567890;
const PG_PASSWORD = "pg-Secret-Value-93";
const MASTER_KEY = "telegram-test-master-key-0123456789-42";

/**
 * Delivery to a Telegram channel through the fake Bot API (real HTTP, real multipart), with
 * the cloud limits in force (TELEGRAM_SELF_HOSTED=false), against a real PostgreSQL database.
 */
describe("Telegram delivery", () => {
  let fake: FakeTelegram;
  let ws: Workspace;
  let app: App;
  let source: PgDatabase;
  let target: PgDatabase;
  const SNAPSHOT = "select id, encode(b, 'hex') from noise order by id";

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: ADMIN, firstName: "Admin" });
    fake.createChannel({ id: CHANNEL, title: "Backups" });
    fake.createChannel({ id: -1002, title: "Read only", botStatus: "member" });
    fake.createGroup({ id: -1003, title: "Ops", isForum: true, topics: [7] });
    source = await createPgDatabase("tg_src");
    target = await createPgDatabase("tg_dst");
    // ~3.5 MB of incompressible rows: four parts of at most 1 MiB
    await source.query(`create table noise as select g as id, decode(string_agg(md5(g::text || x::text), ''), 'hex') as b
                        from generate_series(1, 2800) g, generate_series(1, 40) x group by g`);
    ws = createWorkspace({
      BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      TELEGRAM_SELF_HOSTED: "false",
      ADMIN_IDS: String(ADMIN),
      MASTER_KEY,
    });
    const yaml = `
sources:
  - { name: app-db, kind: postgres, host: 127.0.0.1, port: 5432, database: ${source.name}, user: postgres, password: "${PG_PASSWORD}" }
  - { name: restore-here, kind: postgres, host: 127.0.0.1, port: 5432, database: ${target.name}, user: postgres, password: "" }
destinations:
  - { name: channel, kind: telegram, chat_id: "${CHANNEL}" }
jobs:
  - { name: app, source: app-db, destinations: [channel], schedule: "0 3 * * *", compression: none, part_size: 1MiB }
`;
    const r = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(r.code, r.stderr).toBe(0);
    // Four faults in a row on the first part: the one retry layer (src/shared/retry-policy.ts) needs its five attempts.
    app = await ws.app({}, { retry: { attempts: 5, baseDelayMs: 50, maxDelayMs: 200 }, telegramTimeoutSeconds: 2 });
    // A job saved before parts above the cloud's 20 MB download limit were refused at save time
    // (config import and the bot refuse 60MiB now): the runner's own check is the safety net.
    const app0 = app.jobsRepo.findByName("app")!;
    app.jobsRepo.insert(
      { name: "huge-parts", sourceId: app0.sourceId, schedule: "0 3 * * *", timezone: null, format: "sql", compression: "gzip", recipients: [], passphraseEnc: null, partSize: 60 * MiB, retention: {}, enabled: true, notify: { failure: { chat_id: "-1003", thread_id: 7 } } },
      app0.destinationIds,
    );
  });

  afterAll(async () => {
    app?.close();
    await fake?.close();
    await source?.drop();
    await target?.drop();
    ws?.remove();
  });

  it("delivers every part exactly once, in order, through 429, 500, a dropped and a stalled upload; the manifest matches; verify and restore work", async () => {
    fake.failNext("sendDocument", { kind: "429", retryAfter: 1 });
    fake.failNext("sendDocument", { kind: "500" });
    fake.failNext("sendDocument", { kind: "drop" });
    fake.failNext("sendDocument", { kind: "stall", ms: 3500 });
    const result = await app.executor.execute("app", "manual");
    expect(result.error).toBeNull();
    expect(result.status).toBe("success");
    expect(result.parts).toBe(4);
    expect(result.verified).toBe(true);
    expect(fake.pendingFaults("sendDocument")).toBe(0);

    const docs = fake.documents(CHANNEL);
    const partDocs = docs.filter((m) => !m.document!.file_name!.endsWith(".manifest.json") && !m.document!.file_name!.startsWith("tele-backup-catalog"));
    expect(partDocs.map((m) => m.document!.file_name)).toEqual([1, 2, 3, 4].map((i) => `${result.fileName}.00${i}`));
    for (const m of partDocs) expect(m.document!.file_size!).toBeLessThanOrEqual(1 * MiB);
    expect(partDocs[0]!.caption).toMatch(/app · part 1 · 1\.0 MiB · sha256 [0-9a-f]{16}/);
    expect(partDocs[3]!.caption).toMatch(/part 4\/4 \(last\)/);

    const manifestDoc = docs.find((m) => m.document!.file_name!.endsWith(".manifest.json"))!;
    expect(manifestDoc.reply_to_message?.message_id).toBe(partDocs[0]!.message_id);
    // the chat's pinned message is its catalog (README "The catalog"), not the manifest
    expect(manifestDoc.pinned).toBe(false);
    expect(docs.find((m) => m.pinned)?.document?.file_name).toBe("tele-backup-catalog.json");
    const manifest = JSON.parse((await fake.downloadFile(manifestDoc.document!.file_id)).toString("utf8"));
    const whole = createHash("sha256");
    for (const m of partDocs) whole.update(await fake.downloadFile(m.document!.file_id));
    expect(manifest.payload.sha256).toBe(whole.digest("hex"));
    expect(manifest.parts.map((p: { stored: Record<string, { message_id: number }> }) => p.stored.channel!.message_id)).toEqual(partDocs.map((m) => m.message_id));
    expect(manifest.restore).toMatch(/^cat .* \| psql/);

    // the success message: silent, with size, parts, sha256 and the verified status
    const success = fake.messages(CHANNEL).find((m) => m.text?.startsWith("✅"))!;
    expect(success.text).toContain(result.fileName);
    expect(success.text).toContain(result.sha256!);
    expect(success.text).toMatch(/Verified: yes/);
    expect(success.disable_notification).toBe(true);

    const verify = await ws.cli(["verify", String(result.runId)]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const restore = await ws.cli(["restore", String(result.runId), "--to", "restore-here"]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(await target.query(SNAPSHOT)).toBe(await source.query(SNAPSHOT));
  });

  it("refuses a part size above the cloud upload limit before dumping anything", async () => {
    const before = fake.documents(CHANNEL).length;
    const result = await app.executor.execute("huge-parts", "manual");
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/part_size 60\.0 MiB is above the 50\.0 MiB that destination "channel" accepts/);
    expect(fake.documents(CHANNEL).length).toBe(before);
    const alert = fake.messages(ADMIN).at(-1)!;
    expect(alert.text).toContain("Backup FAILED: huge-parts");
    // the job routes failures to a forum topic instead of the channel
    const routed = fake.messages(-1003).at(-1)!;
    expect(routed.text).toContain("Backup FAILED: huge-parts");
    expect(routed.message_thread_id).toBe(7);
    expect(routed.disable_notification).toBeFalsy();
  });

  it("explains an unknown chat and a bot without rights when a destination is imported", async () => {
    const bad = `
destinations:
  - { name: nowhere, kind: telegram, chat_id: "-100999" }
  - { name: read-only, kind: telegram, chat_id: "-1002" }
`;
    const r = await ws.cli(["config", "import", ws.writeFile("bad.yaml", bad)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/destinations\[0\].*chat -100999 was not found.*bot has been added/);
    expect(r.stderr).toMatch(/destinations\[1\].*may not post in chat -1002.*administrator/);
    expect(app.destinations.getByName("nowhere")).toBeNull();
  });

  it("a channel that went wrong after saving: the run fails with the reason, nothing is marked success, admins are alerted", async () => {
    fake.setBotMembership(CHANNEL, { status: "left" });
    try {
      const result = await app.executor.execute("app", "manual");
      expect(result.status).toBe("failed");
      expect(result.error).toMatch(/upload failed: The bot is not a member of chat -1001234567890/);
      expect(app.runs.get(result.runId)!.status).toBe("failed");
      expect(app.runs.liveParts(result.runId)).toEqual([]);
      expect(fake.messages(ADMIN).at(-1)!.text).toMatch(/Backup FAILED: app[\s\S]*not a member/);
    } finally {
      fake.setBotMembership(CHANNEL, { status: "administrator", rights: FULL_ADMIN_RIGHTS });
    }
  });

  it("an expired token: clear error, parts already sent are removed, no success", async () => {
    const extra = fake.addBot();
    fake.revokeToken(extra);
    await app.destinations.create({ name: "old-bot", kind: "telegram", chat_id: String(CHANNEL), bot_token: extra });
    await app.jobs.create({ name: "old-bot-job", source: "app-db", destinations: ["old-bot"], schedule: "0 3 * * *" });
    const result = await app.executor.execute("old-bot-job", "manual");
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/rejected the bot token for destination "old-bot"/);
    expect(result.error).not.toContain(extra);
    expect(app.runs.liveParts(result.runId)).toEqual([]);
  });

  it("a failure after some parts landed deletes them from the channel", async () => {
    const before = fake.documents(CHANNEL).length;
    // once two parts have landed, the next upload fails for good (a permanent 400)
    let armed = false;
    const result = await app.executor.execute("app", "manual", {
      onProgress: (p) => {
        if (!armed && p.partsUploaded === 2) {
          armed = true;
          fake.failNext("sendDocument", { kind: "error", code: 400, description: "Bad Request: wrong file identifier" });
        }
      },
    });
    expect(armed).toBe(true);
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/wrong file identifier/);
    expect(app.runs.allParts(result.runId).length).toBe(2);
    expect(app.runs.liveParts(result.runId)).toEqual([]);
    expect(fake.deletedMessageIds(CHANNEL).length).toBeGreaterThanOrEqual(2);
    const after = fake.messages(CHANNEL, { includeDeleted: false }).filter((m) => m.document);
    expect(after.length).toBe(before);
  });

  it("no secret ever reached Telegram", () => {
    const sent = fake.allTextSent().join("\n");
    expect(sent).not.toContain(PG_PASSWORD);
    expect(sent).not.toContain(MASTER_KEY);
    expect(sent).not.toContain(fake.token);
  });
});
