import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DestinationError } from "../../src/destinations/port.js";
import { createTelegramDestination } from "../../src/destinations/telegram.js";
import { createI18n, translator } from "../../src/i18n.js";
import { createLogger } from "../../src/logger.js";
import { startFakeTelegram } from "../fake-telegram/server.js";
import { destinationContract } from "./contract.js";

const HOUR_S = 3600;
const translate = translator(createI18n());

/** Telegram through the fake Bot API (real HTTP, real multipart, the cloud's 50 MB / 20 MB limits). */
destinationContract("Telegram channel", async () => {
  const fake = await startFakeTelegram();
  const channel = fake.createChannel({ title: "Backups" });
  const deps = {
    apiRoot: fake.apiRoot,
    selfHosted: false,
    defaultToken: fake.token,
    translate,
    locale: "en",
    log: createLogger("silent"),
    timeoutSeconds: 30,
    // The destination keeps to the 48-hour rule by the same clock the fake applies it with.
    now: () => fake.nowMs(),
  };
  return {
    destination: createTelegramDestination({ kind: "telegram", name: "channel", chatId: String(channel.id) }, deps),
    refusing: createTelegramDestination({ kind: "telegram", name: "gone", chatId: "-1009999999999" }, deps),
    async copies(name) {
      return fake.documents(channel.id).filter((m) => m.document?.file_name === name).length;
    },
    repeatPut: "adds",
    neverStored: () => ({ locator: String(channel.id), messageId: 999_999, fileId: "never-stored" }),
    refuseDeletion(location, storedAt) {
      fake.advanceClock(49 * HOUR_S);
      return { ...location, storedAt };
    },
    transientFault(op) {
      if (op === "put") fake.failNext("sendDocument", { kind: "drop", afterBytes: 8192 });
      else {
        fake.failNext("deleteMessages", { kind: "drop" });
        fake.failNext("deleteMessage", { kind: "drop" });
      }
    },
    async holdNextPut(file) {
      fake.failNext("sendDocument", { kind: "stall", ms: 60_000 });
      const underway = (async () => {
        while (!fake.requestsFor("sendDocument").some((r) => r.outcome === "pending")) await new Promise((r) => setTimeout(r, 10));
      })();
      return { file, underway, release: async () => {} };
    },
    async close() {
      await fake.close();
    },
  };
});

describe("Telegram destination without a bot token", () => {
  it("prepare does not throw; storing a part says there is no token, for good", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tb-no-token-"));
    try {
      const deps = { apiRoot: "http://127.0.0.1:9", selfHosted: false, defaultToken: "", translate, locale: "en", log: createLogger("silent"), timeoutSeconds: 5 };
      const destination = createTelegramDestination({ kind: "telegram", name: "channel", chatId: "-1001234567890" }, deps);
      expect(() => destination.prepare?.()).not.toThrow();
      const file = path.join(dir, "part");
      writeFileSync(file, "data");
      const info = { index: 1, total: 1, name: "job.sql.001", size: 4, sha256: "0".repeat(64) };
      const err = await destination.putPart({ runId: 1, jobName: "job" }, info, file, new AbortController().signal).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DestinationError);
      expect((err as DestinationError).permanent).toBe(true);
      expect((err as Error).message).toBe('Telegram destination "channel" has no bot token: set BOT_TOKEN or give the destination its own bot_token.');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
