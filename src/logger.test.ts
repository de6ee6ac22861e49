import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

describe("logger", () => {
  it("keeps bot tokens and secret fields out of logged errors and objects", () => {
    const lines: string[] = [];
    const log = createLogger("info", { write: (l: string) => void lines.push(l) });
    const token = "123456789:AAEhBP0av28c4V7ARu2sW4_Op3Rxv1fX-kE";
    // what a fetch failure looks like: the Bot API URL, token included, on a nested error
    const inner = Object.assign(new Error(`request to https://api.telegram.org/bot${token}/getMe failed, reason: ECONNRESET`), { url: `https://api.telegram.org/bot${token}/getMe` });
    const outer = Object.assign(new Error("Network request for 'getMe' failed!"), { error: inner, payload: { password: "p" } });
    log.error({ err: outer, password: "hunter2-secret", config: { botToken: token } }, "failed");
    const out = lines.join("\n");
    expect(out).toContain("Network request for 'getMe' failed!");
    expect(out).toContain("ECONNRESET");
    expect(out).not.toContain(token);
    expect(out).not.toContain("hunter2-secret");
  });
});
