import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { runParts } from "../../src/db/schema.js";
import { eq } from "drizzle-orm";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { createPgDatabase, type PgDatabase } from "../helpers/pg.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

const CHANNEL = -1001234567890;
const HOUR = 3600_000;

/** Retention against the fake Bot API: recent runs are deleted from the channel, old ones (48-hour rule) expire in the index. */
describe("retention in a Telegram channel", () => {
  let fake: FakeTelegram;
  let ws: Workspace;
  let app: App;
  let source: PgDatabase;

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: 111 });
    fake.createChannel({ id: CHANNEL });
    source = await createPgDatabase("ret");
    await source.query("create table t as select g as id from generate_series(1, 100) g");
    ws = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, ADMIN_IDS: "111" });
    const yaml = `
sources:
  - { name: db, kind: postgres, host: 127.0.0.1, port: 5432, database: ${source.name}, user: postgres, password: "" }
destinations:
  - { name: channel, kind: telegram, chat_id: "${CHANNEL}" }
jobs:
  - { name: keep-one, source: db, destinations: [channel], schedule: "0 3 * * *", retention: { keep_last: 1 } }
`;
    expect((await ws.cli(["config", "import", ws.writeFile("c.yaml", yaml)])).code).toBe(0);
    app = await ws.app();
  });

  afterAll(async () => {
    app?.close();
    await fake?.close();
    await source?.drop();
    ws?.remove();
  });

  it("deletes a recent run's messages, and marks a run older than 48 hours expired while its messages stay", async () => {
    const first = await app.executor.execute("keep-one", "manual");
    expect(first.status).toBe("success");
    const firstMessages = app.runs.liveParts(first.runId).map((p) => p.messageId!);
    expect(firstMessages).toHaveLength(2); // one part + the manifest

    // the second run keeps only itself: the first run's messages are deleted
    const second = await app.executor.execute("keep-one", "manual");
    expect(second.status).toBe("success");
    expect(app.runs.liveParts(first.runId)).toEqual([]);
    expect(app.runs.get(first.runId)!.expiredAt).not.toBeNull();
    expect(fake.deletedMessageIds(CHANNEL)).toEqual(expect.arrayContaining(firstMessages));
    expect(app.runs.liveParts(second.runId)).toHaveLength(2);

    // the second run's messages are now three days old: Telegram refuses to delete them
    const old = new Date(Date.now() - 72 * HOUR);
    for (const p of app.runs.liveParts(second.runId)) {
      app.db.update(runParts).set({ storedAt: old }).where(eq(runParts.id, p.id)).run();
      fake.setMessageDate(CHANNEL, p.messageId!, Math.floor(old.getTime() / 1000));
    }
    const third = await app.executor.execute("keep-one", "manual");
    expect(third.status).toBe("success");
    const secondRun = app.runs.get(second.runId)!;
    expect(secondRun.expiredAt).not.toBeNull();
    expect(app.runs.liveParts(second.runId)).toHaveLength(2); // still recorded: they are still in the channel
    const stillThere = fake.messages(CHANNEL).map((m) => m.message_id);
    for (const p of app.runs.liveParts(second.runId)) expect(stillThere).toContain(p.messageId);
    // the newest run is never pruned
    expect(app.runs.get(third.runId)!.expiredAt).toBeNull();
  });
});
