import { spawn } from "node:child_process";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { batchedWriter } from "./batched-writer.js";

/** A target that records each write call (a writev counts once) and what reached it. */
function recordingTarget() {
  const calls: number[] = [];
  const received: Buffer[] = [];
  const target = new Writable({
    write(chunk: Buffer, _enc, cb) {
      calls.push(chunk.length);
      received.push(chunk);
      cb();
    },
    writev(chunks, cb) {
      calls.push(chunks.reduce((n, c) => n + (c.chunk as Buffer).length, 0));
      for (const c of chunks) received.push(c.chunk as Buffer);
      cb();
    },
  });
  return { target, calls, received: () => Buffer.concat(received) };
}

const passOn = (err: Error, cb: (err?: Error | null) => void) => cb(err);

describe("batchedWriter", () => {
  it("hands 64 KiB chunks on in 1 MiB writes, every byte in order", async () => {
    const { target, calls, received } = recordingTarget();
    const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(64 * 1024, i));
    await pipeline(Readable.from(chunks), batchedWriter(target, passOn));
    expect(received().equals(Buffer.concat(chunks))).toBe(true);
    expect(calls.length).toBeLessThanOrEqual(4); // 2.5 MiB: two full batches and the rest
    expect(calls[0]).toBe(1024 * 1024);
    expect(target.writableFinished).toBe(true);
  });

  it("writes what it holds while the input idles, so the child sees it now", async () => {
    const { target, received } = recordingTarget();
    const writer = batchedWriter(target, passOn);
    writer.write(Buffer.from("SELECT 1;\n"));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(received().toString()).toBe("SELECT 1;\n");
    writer.end();
  });

  it("fails a pipeline whose child quit while its input idles, through onError", async () => {
    const child = spawn("sh", ["-c", "head -c 5 >/dev/null"], { stdio: ["pipe", "ignore", "ignore"] });
    child.stdin.on("error", () => {});
    const said: string[] = [];
    async function* stalls() {
      yield Buffer.from("hello world\n");
      await new Promise(() => {}); // never more input
    }
    const input = Readable.from(stalls());
    const writer = batchedWriter(child.stdin, (err, cb) => {
      said.push(err.message);
      cb(new Error("the child quit"));
    });
    child.once("exit", () => child.stdin.destroy());
    await expect(pipeline(input, writer)).rejects.toThrow("the child quit");
    expect(said).toHaveLength(1);
    expect(input.destroyed).toBe(true);
  });

  it("ends its target and reports no error when the target closes after a normal end", async () => {
    const child = spawn("cat", [], { stdio: ["pipe", "pipe", "ignore"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    const errors: Error[] = [];
    await pipeline(
      Readable.from(["a", "b", "c"]),
      batchedWriter(child.stdin, (err, cb) => {
        errors.push(err);
        cb(err);
      }),
    );
    await new Promise((resolve) => child.once("close", resolve));
    expect(out).toBe("abc");
    expect(errors).toEqual([]);
  });
});
