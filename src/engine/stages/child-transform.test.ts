import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { childTransform } from "./child-transform.js";
import { runPipeline } from "./run-pipeline.js";

async function collect(input: Buffer, stage: ReturnType<typeof childTransform>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  const chunks = function* () {
    for (let off = 0; off < input.length; off += 65_536) yield input.subarray(off, off + 65_536);
  };
  await runPipeline([
    Readable.from(chunks()),
    stage,
    async (source: AsyncIterable<Uint8Array>) => {
      for await (const c of source) out.push(c);
    },
  ]);
  return Buffer.concat(out);
}

describe("child transform", () => {
  it("streams through the child: zstd compresses and decompresses byte-exact", async () => {
    const input = Buffer.concat([randomBytes(2_000_000), Buffer.alloc(1_000_000, 7)]);
    const packed = await collect(input, childTransform("zstd", ["-q", "-c"], "zstd compression"));
    expect(packed.length).toBeLessThan(input.length);
    expect((await collect(packed, childTransform("zstd", ["-q", "-d", "-c"], "zstd decompression"))).equals(input)).toBe(true);
  });

  // Input reaches the child in batches of 1 MiB: whatever is held when the input ends is handed on too.
  it.each([1, 65_536, 1024 * 1024, 2 * 1024 * 1024, 2 * 1024 * 1024 + 1])("%i bytes pass through whole", async (size) => {
    const input = randomBytes(size);
    expect((await collect(input, childTransform("cat", [], "test copy"))).equals(input)).toBe(true);
  });

  it("a child that stops reading fails with its own exit status and stderr line, never EPIPE", async () => {
    const script = "head -c 1000 >/dev/null; echo 'first line' >&2; echo 'the disk is full' >&2; exit 3";
    const stage = childTransform("sh", ["-c", script], "test compression");
    await expect(collect(randomBytes(5_000_000), stage)).rejects.toThrow(/^test compression failed: sh exited with code 3: the disk is full$/);
  });

  it("a child that exits cleanly without reading its input is an error too", async () => {
    const stage = childTransform("sh", ["-c", "exec 0<&-; sleep 0.1"], "test compression");
    await expect(collect(randomBytes(5_000_000), stage)).rejects.toThrow(/^test compression failed: sh stopped reading its input/);
  });

  it("a missing binary is named", async () => {
    const stage = childTransform("tb-no-such-binary", [], "test compression");
    await expect(collect(randomBytes(10), stage)).rejects.toThrow("test compression failed: tb-no-such-binary is not installed");
  });
});
