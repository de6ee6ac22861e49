import { Duplex, PassThrough, Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { byteCounter, watching } from "./count.js";
import { parallelGzip } from "./parallel-gzip.js";
import { runPipeline, runStages, StageFailure } from "./run-pipeline.js";

/** A pass-through function stage, as the backup's counters are. */
const counted = () => watching([byteCounter(() => {})]);

/** A source that writes some bytes, then fails as a dump tool does. */
function failingSource(message: string): PassThrough {
  const src = new PassThrough();
  src.write(Buffer.alloc(5000, 97));
  setTimeout(() => src.destroy(new Error(message)), 20);
  return src;
}

/** A sink that records how its input ended. */
function recordingSink() {
  const seen = { bytes: 0, ended: "" };
  const sink = async (source: AsyncIterable<Uint8Array>) => {
    try {
      for await (const chunk of source) seen.bytes += chunk.length;
      seen.ended = "end";
    } catch (err) {
      seen.ended = (err as Error).name;
      throw err;
    }
  };
  return { seen, sink };
}

async function failure(p: Promise<void>): Promise<StageFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StageFailure);
  return err as StageFailure;
}

describe("runStages", () => {
  it("settles, and lets every later stage settle, when the source fails behind a Duplex.from(async generator)", async () => {
    // Such a duplex never finishes destroying while its generator awaits input (nodejs/node#55077):
    // with pipeline alone the sink's `for await` waited forever.
    const { seen, sink } = recordingSink();
    const f = await failure(runStages([failingSource("permission denied for table t"), counted(), Duplex.from(parallelGzip()), counted(), sink]));
    expect(f.stage).toBe(0);
    expect((f.cause as Error).message).toBe("permission denied for table t");
    expect(seen.ended).toBe("StageTornDown");
  });

  it("reports the source's failure through the gzip stage, with encryption-like generator stages after it", async () => {
    const { seen, sink } = recordingSink();
    const passOn = async function* (source: AsyncIterable<Uint8Array>) {
      for await (const c of source) yield c;
    };
    const f = await failure(runStages([failingSource("server closed the connection"), counted(), parallelGzip({ blockSize: 1000 }), passOn, counted(), sink]));
    expect(f.stage).toBe(0);
    expect((f.cause as Error).message).toBe("server closed the connection");
    expect(seen.ended).not.toBe("end");
  });

  it("names a middle stage that failed on its own, not the streams it tore down", async () => {
    const { seen, sink } = recordingSink();
    const source = Readable.from((function* () {
      for (let i = 0; i < 1000; i++) yield Buffer.alloc(1000, i % 256);
    })());
    const breaks = async function* (source: AsyncIterable<Uint8Array>) {
      let n = 0;
      for await (const c of source) {
        if (++n === 10) throw new Error("encryption failed: bad recipient");
        yield c;
      }
    };
    const f = await failure(runStages([source, counted(), breaks, new PassThrough(), sink]));
    expect(f.stage).toBe(2);
    expect((f.cause as Error).message).toBe("encryption failed: bad recipient");
    expect(seen.ended).not.toBe("end");
  });

  it("names the sink when it fails, though the streams before it are destroyed with AbortErrors", async () => {
    const source = Readable.from([Buffer.alloc(1000), Buffer.alloc(1000), Buffer.alloc(1000)]);
    const sink = async (input: AsyncIterable<Uint8Array>) => {
      for await (const _ of input) throw new Error("upload refused");
    };
    const f = await failure(runStages([source, new PassThrough(), sink]));
    expect(f.stage).toBe(2);
    expect((f.cause as Error).message).toBe("upload refused");
  });

  it("runPipeline rejects with the original error itself", async () => {
    const { sink } = recordingSink();
    await expect(runPipeline([failingSource("disk gone"), Duplex.from(parallelGzip()), sink])).rejects.toThrow(/^disk gone$/);
  });

  it("passes everything through when nothing fails", async () => {
    const { seen, sink } = recordingSink();
    await runStages([Readable.from([Buffer.alloc(3000), Buffer.alloc(4000)]), counted(), parallelGzip(), sink]);
    expect(seen.ended).toBe("end");
    expect(seen.bytes).toBeGreaterThan(0);
  });

  it("holds on to no chunk once it has passed: 400 MiB through two function stages in 1 MiB chunks stay within a few chunks of memory", async () => {
    const chunks = 400;
    async function* source() {
      for (let i = 0; i < chunks; i++) yield Buffer.alloc(1024 * 1024, i);
    }
    let peak = 0;
    let n = 0;
    const pass = async function* (input: AsyncIterable<Uint8Array>) {
      for await (const c of input) yield c;
    };
    const sink = async (input: AsyncIterable<Uint8Array>) => {
      for await (const _ of input) {
        if (++n % 20 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      }
    };
    await runStages([Readable.from(source()), pass, pass, sink]);
    expect(n).toBe(chunks);
    // A read that keeps a reaction on a long-lived promise keeps every chunk: 400 MiB here.
    expect(peak).toBeLessThan(200 * 1024 * 1024);
  });

  it("a stage that stops reading early stops every stage before it: the source stream is destroyed, and no read is left waiting", async () => {
    const source = new PassThrough();
    source.write(Buffer.alloc(1000));
    const pass = async function* (input: AsyncIterable<Uint8Array>) {
      for await (const c of input) yield c;
    };
    let taken = 0;
    const sink = async (input: AsyncIterable<Uint8Array>) => {
      for await (const _ of input) {
        taken++;
        break; // e.g. a sink that found what it needed
      }
    };
    await runStages([source, pass, sink]);
    expect(taken).toBe(1);
    expect(source.destroyed).toBe(true);
  });

  it("a stage waiting for input when a later stage fails is released with StageTornDown, and the failure is the later stage's", async () => {
    const source = new PassThrough(); // never ends and never fails on its own
    source.write(Buffer.alloc(10));
    let waiting = "";
    const watcher = async function* (input: AsyncIterable<Uint8Array>) {
      try {
        for await (const c of input) yield c;
      } catch (err) {
        waiting = (err as Error).name;
        throw err;
      }
    };
    const compressor = new PassThrough();
    setTimeout(() => compressor.destroy(new Error("zstd was killed by SIGKILL")), 20);
    const { sink } = recordingSink();
    const f = await failure(runStages([source, watcher, compressor, sink]));
    expect(f.stage).toBe(2);
    expect((f.cause as Error).message).toBe("zstd was killed by SIGKILL");
    expect(waiting).toBe("StageTornDown");
    expect(source.destroyed).toBe(true);
  });
});
