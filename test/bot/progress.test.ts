import { Api } from "grammy";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { LiveMessage } from "../../src/bot/progress.js";
import { createLogger } from "../../src/logger.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { ManualClock } from "../helpers/manual-clock.js";

const INTERVAL = 3000;

/** The message's throttle runs on a manual clock: time moves only when the test says so. */
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

  const editsOf = (messageId: number) => fake.requestsFor("editMessageText").filter((r) => Number(r.params.message_id) === messageId);
  /** Waits until `n` edits of the message have been answered (the HTTP round trip is real). */
  const answered = (messageId: number, n: number) =>
    vi.waitFor(() => expect(editsOf(messageId).filter((r) => r.outcome !== "pending")).toHaveLength(n));

  it("coalesces a flood of updates into one edit per interval with the latest text, skips unchanged text, and waits out the interval before the final text", async () => {
    const clock = new ManualClock("2026-03-01T10:00:00Z");
    const msg = await api.sendMessage(userId, "step 0");
    const live = new LiveMessage(api, userId, msg.message_id, "step 0", { intervalMs: INTERVAL, log: createLogger("silent"), clock });

    for (let i = 1; i <= 20; i++) live.update(`step ${i}`);
    await clock.advance(INTERVAL - 1);
    await clock.advance(1);
    await answered(msg.message_id, 1);
    expect(editsOf(msg.message_id).map((r) => r.params.text)).toEqual(["step 20"]);

    live.update("step 20"); // what the message already shows: nothing to send
    live.update("step 21");
    live.update("step 22");
    await clock.advance(INTERVAL - 1);
    await clock.advance(1);
    await answered(msg.message_id, 2);

    const finishing = live.finish("all done");
    live.update("step 23"); // after finish: ignored
    await clock.advance(INTERVAL - 1);
    await clock.advance(1);
    await finishing;

    // Every edit that ever went out: one per interval, the newest text each time, nothing early.
    expect(editsOf(msg.message_id).map((r) => r.params.text)).toEqual(["step 20", "step 22", "all done"]);
    expect(fake.messages(userId).filter((m) => m.sent_by_bot !== undefined)).toHaveLength(1);
    expect(fake.message(userId, msg.message_id)?.text).toBe("all done");
  });

  it("sends the final text as a new message when the old one cannot be edited", async () => {
    const clock = new ManualClock("2026-03-01T10:00:00Z");
    const msg = await api.sendMessage(userId, "working");
    const live = new LiveMessage(api, userId, msg.message_id, "working", { intervalMs: INTERVAL, log: createLogger("silent"), clock });
    await api.deleteMessage(userId, msg.message_id);
    const finishing = live.finish("finished anyway");
    await clock.advance(INTERVAL);
    await finishing;
    expect(fake.messages(userId).at(-1)?.text).toBe("finished anyway");
  });
});
