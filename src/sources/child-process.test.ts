import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { spawnDump, spawnFilter, type ChildCommand, type ChildContext } from "./child-process.js";

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

describe("spawnDump (a dump tool's stdout as the backup's source)", () => {
  const sh = (script: string): ChildCommand => ({ command: "sh", args: ["-c", script], env: {} });
  const stall = { ms: 300, reason: { message: "the dump sent nothing for 0.3 s and was stopped", key: "source-error-mysql-stalled", params: {} } };
  /** Whether a process with this command line is still running. */
  const running = (marker: string) => execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).includes(marker);

  it("hands on every byte in order and ends only once the tool exited cleanly", async () => {
    const { stream, done } = spawnDump(sh("seq 1 200000"), ctx, new AbortController().signal);
    const text = (await collect(stream)).toString();
    await done;
    expect(text).toBe(`${Array.from({ length: 200000 }, (_, i) => i + 1).join("\n")}\n`);
  });

  it("a tool that fails after its first bytes fails the stream with its own reason, never a clean end", async () => {
    const { stream, done } = spawnDump(sh("head -c 300000 /dev/zero; echo 'connection lost' >&2; exit 3"), ctx, new AbortController().signal);
    await expect(collect(stream)).rejects.toThrow(/sh exited with code 3: connection lost/);
    await expect(done).rejects.toThrow(/sh exited with code 3: connection lost/);
  });

  it("a reader that stops early kills the tool, and done says the output was not read to its end", async () => {
    const marker = "tb-dump-reader-gone";
    const { stream, done } = spawnDump(sh(`yes ${marker}`), ctx, new AbortController().signal);
    for await (const _ of stream) break;
    await expect(done).rejects.toThrow(/stopped: the dump stream was closed before its end/);
    expect(running(`yes ${marker}`)).toBe(false);
  });

  it("a tool silent for longer than the stall limit while its reader waits is stopped, with the stall's reason", async () => {
    const marker = "tb-dump-silent";
    const { stream, done } = spawnDump(sh(`echo first; exec sleep 30 # ${marker}`), ctx, new AbortController().signal, stall);
    const t0 = Date.now();
    await expect(collect(stream)).rejects.toThrow("the dump sent nothing for 0.3 s and was stopped");
    await expect(done).rejects.toMatchObject({ key: "source-error-mysql-stalled" });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(running(marker)).toBe(false);
  });

  it("a tool held back by a busy reader is not silent (and not buffered): a reader that pauses for three stall limits still gets everything", async () => {
    // 4 MiB fills the pipe and the stream's buffer many times over; the reader sleeps 1 s after its first chunk.
    const { stream, done } = spawnDump(sh("head -c 4194304 /dev/zero"), ctx, new AbortController().signal, stall);
    let bytes = 0;
    let paused = false;
    for await (const chunk of stream) {
      bytes += (chunk as Buffer).length;
      if (!paused) {
        paused = true;
        await new Promise((r) => setTimeout(r, 1_000));
        // Held back, not buffered: the tool waits on a full pipe while the reader is busy.
        expect(stream.readableLength).toBeLessThan(256 * 1024);
      }
    }
    await done;
    expect(bytes).toBe(4194304);
  });
});
