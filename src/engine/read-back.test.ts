import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalDestination } from "../destinations/local.js";
import { readBackPart } from "./read-back.js";

/** A folder's copies are hashed in place (hashPart): the checks must be those of a fetched copy. */
describe("reading back a part stored in a folder", () => {
  let dir: string;
  const retry = { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 };
  const options = () => ({ retry, idleTimeoutMs: 5000, signal: new AbortController().signal });
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tb-read-back-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const stored = async (bytes: Buffer) => {
    const destination = createLocalDestination({ name: "nas", path: path.join(dir, "nas") });
    const file = path.join(dir, "spooled");
    writeFileSync(file, bytes);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const part = { index: 1, total: 1, name: "job_20261206-010000.sql.zst.001", size: bytes.length, sha256 };
    const location = await destination.putPart({ runId: 1, jobName: "job" }, part, file, new AbortController().signal);
    return { destination, part, location };
  };

  it("is ok for the copy as written, and bad, naming both hashes, for a copy changed since", async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 7, 0x61);
    const { destination, part, location } = await stored(bytes);
    expect(await readBackPart(destination, part, location, options())).toEqual({ status: "ok" });

    bytes[2 * 1024 * 1024] = 0x62; // one byte in the third read
    writeFileSync(location.locator, bytes);
    const bad = await readBackPart(destination, part, location, options());
    const actual = createHash("sha256").update(bytes).digest("hex");
    expect(bad).toEqual({ status: "bad", reason: `does not match (sha256 ${actual.slice(0, 12)}…, expected ${part.sha256.slice(0, 12)}…)` });

    writeFileSync(location.locator, bytes.subarray(0, 100));
    expect(await readBackPart(destination, part, location, options())).toMatchObject({ reason: expect.stringContaining(`100 bytes instead of ${bytes.length}`) });
  });

  it("is bad, with the folder's own reason, for a copy that is gone", async () => {
    const { destination, part, location } = await stored(Buffer.from("payload"));
    rmSync(location.locator);
    const bad = await readBackPart(destination, part, location, options());
    expect(bad).toEqual({ status: "bad", reason: `cannot be read back: local destination "nas": cannot read ${location.locator}: ENOENT: no such file or directory, open '${location.locator}'` });
  });

  it("stops when the run is stopped", async () => {
    const { destination, part, location } = await stored(Buffer.alloc(1024 * 1024));
    const stop = new AbortController();
    stop.abort(new Error("the run was cancelled"));
    await expect(readBackPart(destination, part, location, { ...options(), signal: stop.signal })).rejects.toThrow("the run was cancelled");
  });
});
