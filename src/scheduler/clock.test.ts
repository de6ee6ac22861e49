import { describe, expect, it } from "vitest";
import { createSystemClock } from "./clock.js";

describe("system clock", () => {
  it("sleeps, and wakes early when aborted", async () => {
    const clock = createSystemClock();
    await clock.sleep(1);
    const controller = new AbortController();
    const long = clock.sleep(3_600_000, controller.signal);
    controller.abort();
    await expect(long).resolves.toBeUndefined();
    await expect(clock.sleep(3_600_000, AbortSignal.abort())).resolves.toBeUndefined();
    expect(clock.now()).toBeInstanceOf(Date);
  });
});
