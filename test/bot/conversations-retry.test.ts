import { HttpError, type ApiCallFn } from "grammy";
import { describe, expect, it } from "vitest";
import { replaySafeRetry } from "../../src/bot/conversations/retry.js";

/** A dialog's Api retries: waits once, and a replay (whose recorded clock is in the past) never waits again. */
describe("replaySafeRetry", () => {
  const tooMany = { ok: false as const, error_code: 429, description: "Too Many Requests: retry after 3", parameters: { retry_after: 3 } };
  const fine = { ok: true as const, result: true };

  function run(responses: unknown[], recordedNow: number, realNow: number) {
    const sleeps: number[] = [];
    let calls = 0;
    const prev = (async () => {
      const r = responses[calls++];
      if (r instanceof Error) throw r;
      return r;
    }) as unknown as ApiCallFn;
    const t = replaySafeRetry({ now: async () => recordedNow, clock: () => realNow, sleep: async (ms) => void sleeps.push(ms) });
    return { result: t(prev, "sendMessage", { chat_id: 1, text: "x" }), sleeps, calls: () => calls };
  }

  it("waits retry_after on the first run, then tries again", async () => {
    const r = run([tooMany, fine], 1_000_000, 1_000_000);
    expect(await r.result).toEqual(fine);
    expect(r.sleeps).toEqual([3000]);
    expect(r.calls()).toBe(2);
  });

  it("does not wait again when the same results are replayed later", async () => {
    const r = run([tooMany, fine], 1_000_000, 1_000_000 + 60_000);
    expect(await r.result).toEqual(fine);
    expect(r.sleeps).toEqual([]);
    expect(r.calls()).toBe(2);
  });

  it("retries network errors and 5xx with backoff, a bounded number of times", async () => {
    const down = { ok: false as const, error_code: 502, description: "Bad Gateway" };
    const r = run([new HttpError("network", new Error("reset")), down, down, down, fine], 0, 0);
    expect(await r.result).toEqual(down);
    expect(r.calls()).toBe(4);
    expect(r.sleeps).toEqual([1000, 2000, 4000]);
  });

  it("returns other errors at once", async () => {
    const bad = { ok: false as const, error_code: 400, description: "Bad Request: chat not found" };
    const r = run([bad, fine], 0, 0);
    expect(await r.result).toEqual(bad);
    expect(r.calls()).toBe(1);
  });
});
