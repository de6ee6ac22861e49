import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { childFedSource, childSource, childTransform } from "./child-transform.js";
import { waitFor } from "../../../test/helpers/wait.js";
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

describe("child source (a child that reads its input itself)", () => {
  const drain = async (stage: Readable): Promise<Buffer> => {
    const out: Uint8Array[] = [];
    await runPipeline([
      stage,
      async (source: AsyncIterable<Uint8Array>) => {
        for await (const c of source) out.push(c);
      },
    ]);
    return Buffer.concat(out);
  };

  it("zstd compresses a file it reads itself into what decompresses to the file, byte-exact", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "tb-child-source-"));
    try {
      const input = Buffer.concat([randomBytes(2_000_000), Buffer.alloc(3_000_000, 7)]);
      const file = path.join(dir, "payload");
      await writeFile(file, input);
      const packed = await drain(childSource("zstd", ["-q", "-c", "-3", "--", file], "zstd compression"));
      expect(packed.length).toBeLessThan(input.length);
      expect((await collect(packed, childTransform("zstd", ["-q", "-d", "-c"], "zstd decompression"))).equals(input)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a child that fails after its first bytes fails the stream with its exit status and stderr line", async () => {
    const script = "head -c 100000 /dev/zero; echo 'zstd: error 70 : Write error : No space left on device' >&2; exit 1";
    await expect(drain(childSource("sh", ["-c", script], "zstd compression"))).rejects.toThrow(/^zstd compression failed: sh exited with code 1: zstd: error 70 : Write error : No space left on device$/);
  });

  it("destroying it kills the child", async () => {
    const stage = childSource("sh", ["-c", "echo $$; exec sleep 30"], "test source");
    const pid = Number((await new Promise<Buffer>((resolve) => stage.once("data", resolve))).toString());
    expect(alive(pid)).toBe(true);
    stage.destroy();
    // SIGKILL: gone well before its sleep would end.
    await waitFor("the child to be killed", () => !alive(pid), 2_000, 10);
  });

  it("a missing binary is named", async () => {
    await expect(drain(childSource("tb-no-such-binary", [], "zstd compression"))).rejects.toThrow("zstd compression failed: tb-no-such-binary is not installed");
  });
});

/** Whether `pid` is a live process (a zombie, killed and not yet reaped, is not). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("childFedSource: a child whose input another child writes itself", () => {
  /** `sh -c 'printf …'` as the producer, writing into `stdin`; resolves (or rejects) as `outcome` says, once it exited. */
  const producer = (outcome: "ok" | "fail") => {
    let started!: (v: Promise<void>) => void;
    const produced = new Promise<Promise<void>>((resolve) => (started = resolve)).then((p) => p);
    const feed = (stdin: import("node:stream").Writable) => {
      const child = spawn("sh", ["-c", "printf 'from the producer'"], { stdio: ["ignore", stdin, "ignore"] });
      started(new Promise<void>((resolve, reject) => child.once("exit", () => (outcome === "ok" ? resolve() : reject(new Error("the producer failed after its bytes"))))));
    };
    return { feed, produced };
  };
  const read = async (stream: Readable) => {
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString();
  };

  it("passes on what the producer wrote, ending once both the child and the producer are done", async () => {
    const { feed, produced } = producer("ok");
    expect(await read(childFedSource("cat", [], "cat", feed, produced))).toBe("from the producer");
  });

  it("never ends cleanly when the producer failed, even though the child saw a clean end of input", async () => {
    const { feed, produced } = producer("fail");
    await expect(read(childFedSource("cat", [], "cat", feed, produced))).rejects.toThrow("the producer failed after its bytes");
  });

  it("a child that cannot start is not fed, and fails with its own reason", async () => {
    let fed = false;
    const stream = childFedSource("no-such-compressor-xyz", [], "compression", () => (fed = true), Promise.resolve());
    await expect(read(stream)).rejects.toThrow("no-such-compressor-xyz is not installed");
    expect(fed).toBe(false);
  });
});
