import type { ContainerLedger, Dump } from "../../sources/port.js";
import type { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import type { Compression } from "../../domain.js";
import type { BackupPhase } from "../errors.js";
import { compressor, fileCompressor, pipeCompressor } from "../stages/compress.js";
import { inventoryCounter } from "../inventory.js";
import { byteCounter, watching, type Watcher } from "../stages/count.js";
import { ageEncrypt } from "../stages/encrypt.js";
import { runStages, StageFailure, type Stage } from "../stages/run-pipeline.js";
import { splitter, type SpooledPart, type SplitResult } from "../stages/split.js";
import { setPhase, type RunContext } from "./context.js";
import { deliverPart } from "./deliver.js";
import { failureCause } from "./failure.js";
import { settleWithin } from "../../shared/settle-within.js";

/** How long a failed run waits for its source to finish stopping (children get SIGTERM, then SIGKILL after 5 s). */
const SOURCE_STOP_GRACE_MS = 60_000;

/**
 * Dump and deliver: source → count → [compress] → [encrypt] → split (and count) into spooled parts,
 * each part delivered (and read back) while the next one is dumped. On success `ctx.payload`
 * holds the payload's size, sha256 and part count.
 *
 * On failure everything delivered is known before this returns (the sink has settled, so no
 * part lands afterwards) and the error thrown is the one that started it (`failureCause`).
 */
export async function dumpAndDeliver(ctx: RunContext): Promise<void> {
  setPhase(ctx, "dump");
  ctx.report();
  const dump = await ctx.driver.dump(ctx.job.source.config, { format: ctx.job.format, signal: ctx.signal, containers: containerLedger(ctx), scratchDir: ctx.spool });
  // The source has started and has nothing to read yet: the destinations load what they need now.
  for (const { destination } of ctx.targets) destination.prepare?.();
  ctx.serverVersion = dump.serverVersion;
  ctx.changedWhileRead = dump.changedWhileRead;
  const stages = pipeline(ctx, dump);
  // Stops a delivery in flight (an upload, its retries, a read-back) once the pipeline failed.
  const deliveries = new AbortController();
  const sink = payloadSink(ctx, AbortSignal.any([ctx.signal, deliveries.signal]));
  try {
    await runStages([...stages.map((s) => s.stage), sink.stage], ctx.signal);
  } catch (err) {
    const failure = err instanceof StageFailure ? err : new StageFailure(-1, err);
    deliveries.abort(failure.cause);
    // runStages stops every stage from waiting for input, so the sink settles: wait for it,
    // so everything delivered is known (and discarded) and nothing lands afterwards.
    await sink.settled();
    throw failureCause(failure, stages.map((s) => s.phase), await sourceFailure(ctx, dump));
  }
  await dump.done;
  if (ctx.rawBytesNow) ctx.progress.rawBytes = ctx.rawBytesNow();
  if (!ctx.inventory && dump.tables) {
    const tables = await dump.tables();
    if (tables) ctx.counted = { kind: "rows", tables };
  }
  if (!ctx.inventory && dump.files) {
    const files = await dump.files();
    if (files) ctx.counted = { kind: "files", ...files };
  }
  ctx.payload = sink.result();
}

/** Containers the source stops are recorded with the run, so recovery restarts them after a crash. */
function containerLedger(ctx: RunContext): ContainerLedger {
  return {
    stopping: (c) => ctx.deps.runs.recordStoppedContainer(ctx.run.id, c),
    running: (c) => ctx.deps.runs.forgetStoppedContainer(ctx.run.id, c.id),
  };
}

/** Each stage with the phase its own failure belongs to (counters never fail on their own). */
function pipeline(ctx: RunContext, dump: Dump): Array<{ stage: Stage; phase: BackupPhase }> {
  const { job, progress } = ctx;
  // Row / file counts for drills and anomaly checks, counted in passing (src/engine/inventory.ts),
  // unless the source counts its files itself.
  ctx.inventory = dump.files ? null : inventoryCounter(job.source.config.kind, job.format);
  const stages: Array<{ stage: Stage; phase: BackupPhase }> = [];
  // A payload that lies whole in a file (an SQLite snapshot), with nothing to count in passing:
  // the compressor reads the file, and its bytes never pass through this process.
  const file = dump.takeFile && !ctx.inventory ? compressFile(job.compression, dump.takeFile) : undefined;
  // A producer that writes into the compressor itself (GNU tar into zstd): the same, through a pipe.
  const piped = !file && dump.pipeInto && !ctx.inventory ? compressPiped(job.compression, dump) : undefined;
  if (file) {
    progress.rawBytes = file.size;
    stages.push({ stage: file.stage, phase: "compress" });
  } else if (piped) {
    // No counter sees the raw bytes: the source says how far it is (exact once it is done).
    ctx.rawBytesNow = dump.rawBytes;
    stages.push({ stage: piped, phase: "compress" });
  } else {
    // The counters share one stage (each stage costs its own work on every chunk).
    const watchers: Watcher[] = [byteCounter((n) => (progress.rawBytes = n))];
    if (ctx.inventory) watchers.push(ctx.inventory);
    stages.push({ stage: dump.stream, phase: "dump" }, { stage: watching(watchers), phase: "dump" });
    const compress = compressor(job.compression);
    if (compress) stages.push({ stage: compress, phase: "compress" });
  }
  if (job.encryption.kind !== "none") stages.push({ stage: ageEncrypt(job.encryption), phase: "encrypt" });
  return stages;
}

/**
 * The dump's file and a compressor reading it, when the codec can read a file itself. The file
 * is released to the source once the compressor's output has ended, or with the reason it
 * failed or was torn down with the pipeline (the source then removes it and settles `done`).
 */
function compressFile(compression: Compression, takeFile: NonNullable<Dump["takeFile"]>): { stage: Readable; size: number } | undefined {
  // Decided on the codec before the file is taken: once taken, the dump's stream is never read.
  const compress = fileCompressor(compression);
  if (!compress) return undefined;
  const taken = takeFile();
  let stage: Readable;
  try {
    stage = compress(taken.path);
  } catch (err) {
    taken.release(err);
    throw err;
  }
  finished(stage).then(
    () => taken.release(),
    (err: unknown) => taken.release(err),
  );
  return { stage, size: taken.size };
}

/**
 * The compressor as the pipeline's first stage, fed by the source's own child (GNU tar) through
 * a pipe, when the codec runs as a child. The source is stopped (its stream destroyed, never
 * read) when the compressor fails or is torn down with the pipeline.
 */
function compressPiped(compression: Compression, dump: Dump): Readable | undefined {
  const compress = pipeCompressor(compression);
  if (!compress || !dump.pipeInto) return undefined;
  const stage = compress(dump.pipeInto, dump.done);
  finished(stage).catch(() => dump.stream.destroy());
  return stage;
}

/** The splitter as the pipeline's last stage, watched so a failed run can wait for it to settle. */
function payloadSink(ctx: RunContext, signal: AbortSignal) {
  let result: SplitResult | undefined;
  let settled: Promise<unknown> = Promise.resolve();
  const split = splitter(
    {
      dir: ctx.spool,
      baseName: ctx.fileName,
      partSize: ctx.job.partSize,
      onBytes: (n) => {
        ctx.progress.payloadBytes = n;
        if (ctx.rawBytesNow) ctx.progress.rawBytes = ctx.rawBytesNow();
      },
      deliver: (part) => deliverNext(ctx, part, signal),
    },
    (r) => {
      result = r;
    },
  );
  return {
    stage: (source: AsyncIterable<Uint8Array>): Promise<void> => {
      const running = split(source);
      settled = running.catch(() => {});
      return running;
    },
    settled: () => settled,
    result: () => result!,
  };
}

async function deliverNext(ctx: RunContext, part: SpooledPart, signal: AbortSignal): Promise<void> {
  if (ctx.phase === "dump") setPhase(ctx, "upload");
  ctx.progress.phase = "uploading";
  ctx.progress.currentPart = part.index;
  // The last part makes the count exact; until then the estimate never lags behind the part at hand.
  ctx.progress.partsExact = part.last;
  if (part.last) ctx.progress.partsExpected = part.index;
  else if (ctx.progress.partsExpected !== undefined) ctx.progress.partsExpected = Math.max(part.index, ctx.progress.partsExpected);
  ctx.report();
  await deliverPart(ctx, part, signal);
  ctx.progress.partsUploaded = part.index;
  ctx.progress.sentBytes += part.size;
  ctx.report();
}

/** The source's own failure once it stopped (null when it ended cleanly or is still stopping). */
function sourceFailure(ctx: RunContext, dump: Dump): Promise<unknown> {
  return settleWithin(dump.done, SOURCE_STOP_GRACE_MS).then(
    (outcome) => {
      if (outcome === "pending") ctx.log.warn("the source did not finish stopping in time; the run is ended anyway");
      return null;
    },
    (e: unknown) => e,
  );
}
