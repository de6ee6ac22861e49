import { describe, expect, it } from "vitest";
import { createLogger } from "../../logger.js";
import { CleanupStack } from "./cleanup-stack.js";

describe("CleanupStack", () => {
  const log = createLogger("silent");

  it("unwinds last in, first out; failure-only steps run only when the run failed", async () => {
    for (const failed of [false, true]) {
      const done: string[] = [];
      const stack = new CleanupStack(log, 1000);
      stack.always("spool", () => void done.push("spool"));
      stack.onFailure("part 1", () => void done.push("part 1"));
      stack.onFailure("manifest", () => void done.push("manifest"));
      await stack.unwind(failed);
      expect(done).toEqual(failed ? ["manifest", "part 1", "spool"] : ["spool"]);
    }
  });

  it("runs every step once, even after one of them failed", async () => {
    const done: string[] = [];
    const stack = new CleanupStack(log, 1000);
    stack.always("spool", () => void done.push("spool"));
    stack.onFailure("part", () => {
      throw new Error("the backend is down");
    });
    await stack.unwind(true);
    await stack.unwind(true);
    expect(done).toEqual(["spool"]);
  });

  it("gives the steps a signal that fires when the cleanup as a whole took too long", async () => {
    const stack = new CleanupStack(log, 50);
    let aborted = false;
    const hangingDelete = (signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        signal.addEventListener("abort", () => {
          aborted = true;
          resolve();
        });
      });
    stack.onFailure("a hanging delete", hangingDelete);
    await stack.unwind(true);
    expect(aborted).toBe(true);
  });
});
