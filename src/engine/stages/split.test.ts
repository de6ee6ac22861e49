import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { runPipeline } from "./run-pipeline.js";
import { splitter, type SplitResult, type SpooledPart } from "./split.js";

describe("splitter", () => {
  it("cuts the payload into parts of at most part_size that concatenate to it, never holding more than two on disk", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tb-split-"));
    const payload = randomBytes(5 * 1024 * 1024 + 123);
    const delivered: Array<SpooledPart & { bytes: Buffer }> = [];
    let maxOnDisk = 0;
    let result: SplitResult | undefined;
    const sink = splitter(
      {
        dir,
        baseName: "job_20260101-000000.sql",
        partSize: 1024 * 1024,
        deliver: async (part) => {
          maxOnDisk = Math.max(maxOnDisk, readdirSync(dir).length);
          delivered.push({ ...part, bytes: readFileSync(part.file) });
          await sleep(20); // a slow upload: the next part is written meanwhile
          maxOnDisk = Math.max(maxOnDisk, readdirSync(dir).length);
        },
      },
      (r) => (result = r),
    );
    // small uneven chunks, as a dump tool writes them
    const chunks = function* () {
      for (let off = 0; off < payload.length; off += 65_521) yield payload.subarray(off, off + 65_521);
    };
    await runPipeline([Readable.from(chunks()), sink]);

    expect(delivered.map((p) => p.name)).toEqual([1, 2, 3, 4, 5, 6].map((i) => `job_20260101-000000.sql.00${i}`));
    expect(delivered.map((p) => p.last)).toEqual([false, false, false, false, false, true]);
    for (const p of delivered) {
      expect(p.size).toBe(p.bytes.length);
      expect(p.size).toBeLessThanOrEqual(1024 * 1024);
      expect(p.sha256).toBe(createHash("sha256").update(p.bytes).digest("hex"));
    }
    expect(Buffer.concat(delivered.map((p) => p.bytes)).equals(payload)).toBe(true);
    expect(result).toEqual({ size: payload.length, sha256: createHash("sha256").update(payload).digest("hex"), parts: 6 });
    expect(maxOnDisk).toBeLessThanOrEqual(2);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("removes every part file when delivery fails", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tb-split-"));
    const sink = splitter(
      {
        dir,
        baseName: "x.sql",
        partSize: 64 * 1024,
        deliver: async (part) => {
          if (part.index === 2) throw new Error("upload refused");
        },
      },
      () => {},
    );
    await expect(runPipeline([Readable.from([randomBytes(300 * 1024)]), sink])).rejects.toThrow("upload refused");
    expect(readdirSync(dir)).toEqual([]);
  });
});
