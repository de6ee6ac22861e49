import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { parallelGzip } from "./parallel-gzip.js";

async function compress(input: Buffer, chunk = 10_000, blockSize = 64 * 1024): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let off = 0; off < input.length; off += chunk) parts.push(input.subarray(off, off + chunk));
  const out: Uint8Array[] = [];
  for await (const c of parallelGzip({ blockSize, parallel: 3 })(Readable.from(parts))) out.push(c);
  return Buffer.concat(out);
}

describe("parallel gzip", () => {
  it("produces one gzip stream that gunzip, zlib and the gzip binary all read back exactly", async () => {
    const text = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `INSERT INTO t VALUES (${i}, 'row ${i % 97}');\n`).join(""));
    const input = Buffer.concat([text, randomBytes(300_000), text]);
    const gz = await compress(input);
    expect(gunzipSync(gz).equals(input)).toBe(true);
    expect(execFileSync("gzip", ["-dc"], { input: gz, maxBuffer: 64 * 1024 * 1024 }).equals(input)).toBe(true);
    execFileSync("gzip", ["-t"], { input: gz });
    expect(gz.length).toBeLessThan(input.length);
  });

  it("keeps the order of blocks and handles empty input", async () => {
    const input = Buffer.from(Array.from({ length: 100_000 }, (_, i) => String(i)).join(","));
    expect(gunzipSync(await compress(input, 777, 1000)).equals(input)).toBe(true);
    const empty = await compress(Buffer.alloc(0));
    expect(empty.length).toBeGreaterThan(0);
    expect(gunzipSync(empty).length).toBe(0);
  });
});
