import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { CATALOG_FILE } from "../../src/engine/catalog.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { englishWords } from "../helpers/english-words.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

/** Issue 13, item 6: the catalog pinned in a chat is captioned in the destination's `language`. */
describe("the catalog caption speaks the destination's language", () => {
  const ADMIN = 4242;
  const RU_CHANNEL = -1009000000001;
  const EN_CHANNEL = -1009000000002;
  let fake: FakeTelegram;
  let ws: Workspace;
  let app: App;

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: ADMIN });
    fake.createChannel({ id: RU_CHANNEL });
    fake.createChannel({ id: EN_CHANNEL });
    ws = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, ADMIN_IDS: String(ADMIN) });
    const files = path.join(ws.dir, "files");
    mkdirSync(files);
    writeFileSync(path.join(files, "a.txt"), "some content\n".repeat(50));
    app = await ws.app();
    app.sources.create({ name: "files", kind: "directory", path: files });
    app.destinations.create({ name: "ru-channel", kind: "telegram", chat_id: String(RU_CHANNEL), language: "ru" });
    app.destinations.create({ name: "en-channel", kind: "telegram", chat_id: String(EN_CHANNEL) });
    app.jobs.create({ name: "files", source: "files", destinations: ["ru-channel", "en-channel"], schedule: "0 3 * * *" });
  });
  afterAll(async () => {
    app?.close();
    await fake?.close();
    ws?.remove();
  });

  it("is Russian in a ru destination's chat and stays English in the other", async () => {
    expect((await app.executor.execute("files", "manual")).status).toBe("success");
    const caption = (chat: number) => fake.documents(chat).find((m) => m.document!.file_name === CATALOG_FILE)?.caption ?? "";
    expect(caption(RU_CHANNEL)).toMatch(/^🗂 Каталог Tele-Backup · запусков: 1 · заданий: 1/);
    expect(englishWords(caption(RU_CHANNEL))).toEqual([]);
    expect(caption(EN_CHANNEL)).toMatch(/^🗂 Tele-Backup catalog · 1 run/);
  });
});
