import { Api } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveMessage } from "../../src/bot/progress.js";
import { createLogger } from "../../src/logger.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";

const INTERVAL = 150;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("LiveMessage (one message edited in place, throttled)", () => {
  let fake: FakeTelegram;
  let api: Api;
  const userId = 501;

  beforeAll(async () => {
    fake = await startFakeTelegram();
    api = new Api(fake.token, { apiRoot: fake.apiRoot });
    fake.createUser({ id: userId });
  });
  afterAll(async () => {
    await fake?.close();
  });

  it("coalesces a flood of updates into at most one edit per interval, then shows the final text", async () => {
    const msg = await api.sendMessage(userId, "step 0");
    const live = new LiveMessage(api, userId, msg.message_id, "step 0", { intervalMs: INTERVAL, log: createLogger("silent") });
    for (let i = 1; i <= 60; i++) {
      live.update(`step ${i}`);
      await sleep(8);
    }
    await live.finish("all done");
    const edits = fake.requestsFor("editMessageText").filter((r) => Number(r.params.message_id) === msg.message_id);
    const sentAt = fake.requestsFor("sendMessage").at(-1)!.at;
    const times = [sentAt, ...edits.map((e) => e.at)];
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(INTERVAL - 30);
    expect(edits.length).toBeLessThan(60 / 4);
    expect(edits.at(-1)!.params.text).toBe("all done");
    expect(fake.messages(userId).filter((m) => m.sent_by_bot !== undefined)).toHaveLength(1);
    expect(fake.message(userId, msg.message_id)?.text).toBe("all done");
  });

  it("sends the final text as a new message when the old one cannot be edited", async () => {
    const msg = await api.sendMessage(userId, "working");
    const live = new LiveMessage(api, userId, msg.message_id, "working", { intervalMs: 10, log: createLogger("silent") });
    await api.deleteMessage(userId, msg.message_id);
    await live.finish("finished anyway");
    expect(fake.messages(userId).at(-1)?.text).toBe("finished anyway");
  });
});
