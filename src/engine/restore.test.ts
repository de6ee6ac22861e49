import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PayloadMismatchError, verifiedConcat } from "./restore.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function parts(...contents: Buffer[]): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), "tb-concat-"));
  dirs.push(dir);
  return contents.map((c, i) => {
    const file = path.join(dir, `p.${String(i + 1).padStart(3, "0")}`);
    writeFileSync(file, c);
    return file;
  });
}

/** What a consumer (a source driver) sees: the bytes, and whether the stream ended normally. */
async function consume(gen: AsyncGenerator<Buffer>): Promise<{ bytes: Buffer; ended: boolean; error?: Error }> {
  const seen: Buffer[] = [];
  try {
    for await (const chunk of gen) seen.push(chunk);
    return { bytes: Buffer.concat(seen), ended: true };
  } catch (err) {
    return { bytes: Buffer.concat(seen), ended: false, error: err as Error };
  }
}

describe("verifiedConcat: the payload stream a restore target reads", () => {
  const a = randomBytes(600_000);
  const b = randomBytes(300_000);
  const whole = Buffer.concat([a, b]);
  const sha256 = createHash("sha256").update(whole).digest("hex");

  it("yields the parts end to end and ends normally when the whole payload's sha256 matches", async () => {
    let counted = 0;
    const r = await consume(verifiedConcat(parts(a, b), { sha256, size: whole.length }, 7, (c) => (counted += c.length)));
    expect(r.ended).toBe(true);
    expect(r.bytes.equals(whole)).toBe(true);
    expect(counted).toBe(whole.length);
  });

  it("on a mismatch throws before its end and never hands over the last bytes", async () => {
    const tampered = Buffer.from(b);
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 1;
    const r = await consume(verifiedConcat(parts(a, tampered), { sha256, size: whole.length }, 7, () => {}));
    expect(r.ended).toBe(false);
    expect(r.error).toBeInstanceOf(PayloadMismatchError);
    expect(r.error!.message).toMatch(/^run 7: the payload rebuilt from its parts does not match the manifest \(sha256 [0-9a-f]{12}…, expected [0-9a-f]{12}…\); the restore was stopped before its end$/);
    // what the consumer saw is a strict prefix: the final chunk was held back
    expect(r.bytes.length).toBeLessThan(whole.length);
    expect(whole.subarray(0, r.bytes.length).equals(r.bytes)).toBe(true);
  });

  it("a payload that is shorter than recorded fails too (a missing tail is not a normal end)", async () => {
    const r = await consume(verifiedConcat(parts(a), { sha256, size: whole.length }, 7, () => {}));
    expect(r.ended).toBe(false);
    expect(r.error).toBeInstanceOf(PayloadMismatchError);
  });
});
