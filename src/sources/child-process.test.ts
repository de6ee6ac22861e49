import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { spawnFilter, type ChildCommand, type ChildContext } from "./child-process.js";

const ctx: ChildContext = { kind: "postgres", secrets: [] };
/** A converter that finishes cleanly after its first 100 bytes, as pg_restore may before the last bytes of an archive. */
const stopsEarly: ChildCommand = { command: "head", args: ["-c", "100"], env: {} };

/** 64 chunks of 64 KiB, each handed out after a pause (so most arrive after the converter has exited); `fail` errors at the end instead. */
function slowInput(fail?: Error): { input: Readable; read: () => number } {
  let sent = 0;
  let read = 0;
  const input = new Readable({
    read() {
      setTimeout(() => {
        if (sent === 64) return void (fail ? this.destroy(fail) : this.push(null));
        sent += 1;
        read += 65536;
        this.push(Buffer.alloc(65536, 0x61));
      }, 2);
    },
  });
  return { input, read: () => read };
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe("spawnFilter (a converting tool between the backup and psql)", () => {
  it("a converter that exits cleanly before the end of its input: the rest is still read to its end, and the restore goes on", async () => {
    const { input, read } = slowInput();
    const filter = spawnFilter(stopsEarly, ctx, input, new AbortController().signal);
    const out = await collect(filter.stream);
    await filter.done;
    expect(out.length).toBe(100);
    // The whole input was read, so its own checks (hashes, decryption tags) ran to the end.
    expect(read()).toBe(64 * 65536);
  });

  it("an input that fails after the converter has exited still fails the restore with the input's reason", async () => {
    const { input } = slowInput(new Error("part 3: sha256 mismatch"));
    const filter = spawnFilter(stopsEarly, ctx, input, new AbortController().signal);
    const outcome = collect(filter.stream);
    await expect(filter.done).rejects.toThrow(/the restore input failed: part 3: sha256 mismatch/);
    await expect(outcome).rejects.toThrow(/sha256 mismatch/);
  });
});
