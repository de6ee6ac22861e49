import { createHash } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { redact } from "../crypto/redact.js";
import { jobSecrets, type ResolvedJob } from "../domain.js";
import type { Destination, StoredLocation } from "../destinations/port.js";
import { DestinationError } from "../destinations/port.js";
import type { DestinationFactory } from "../destinations/registry.js";
import type { Logger } from "../logger.js";
import type { RunsRepo } from "../repos/runs.repo.js";
import type { RunRow } from "../db/schema.js";
import { SourceError } from "../sources/port.js";
import type { SourceRegistry } from "../sources/registry.js";
import { formatBytes } from "../shared/format.js";
import { BackupError, SpoolError, type BackupPhase } from "./errors.js";
import { restoreRecipe, VERSION, type Manifest, type ManifestPart } from "./manifest.js";
import { mirrorRun, type MirrorFailure } from "./mirror.js";
import { readBackPart, type ReadBackResult } from "./read-back.js";
import { DEFAULT_RETRY_POLICY, withRetry, type RetryPolicy } from "./retry.js";
import { COMPRESSION_EXT, compressor } from "./stages/compress.js";
import { counter } from "./stages/count.js";
import { ageEncrypt } from "./stages/encrypt.js";
import { runStages, StageFailure, type Stage } from "./stages/run-pipeline.js";
import { ChildTransformError } from "./stages/child-transform.js";
import { splitter, type SpooledPart, type SplitResult } from "./stages/split.js";

export type RunTrigger = RunRow["trigger"];

export interface Progress {
  runId: number;
  phase: "dumping" | "uploading" | "manifest" | "verifying" | "done";
  rawBytes: number;
  payloadBytes: number;
  partsUploaded: number;
  /** The part being uploaded (1-based), when uploading. */
  currentPart?: number;
}

export interface RunOptions {
  trigger: RunTrigger;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface RunResult {
  runId: number;
  status: "success" | "failed" | "interrupted";
  job: string;
  fileName: string;
  rawSize: number;
  payloadSize: number;
  sha256: string | null;
  parts: number;
  durationMs: number;
  verified: boolean;
  error: string | null;
  /** Destinations whose mirror chat did not get this run's copies (the run stands; admins are warned). */
  mirrorFailures?: MirrorFailure[];
}

export interface BackupRunnerDeps {
  runs: RunsRepo;
  sources: SourceRegistry;
  makeDestination: DestinationFactory;
  spoolDir: string;
  log: Logger;
  now?: () => Date;
  /** Retry policy of uploads and read-backs (tests shorten the delays). */
  retry?: RetryPolicy;
  /** A read-back that brings no byte for this long is abandoned and retried (default 60 s). */
  readBackIdleMs?: number;
}

const DEFAULT_READ_BACK_IDLE_MS = 60_000;

interface Delivered {
  rowId: number;
  destination: Destination;
  location: StoredLocation;
}

/**
 * Runs one backup: start run row → open source → stream through compress/encrypt/hash/split
 * → upload parts → manifest → read back → finish row. Every resource a phase creates is
 * registered for cleanup at once; cleanup runs in `finally`.
 */
export class BackupRunner {
  constructor(private readonly deps: BackupRunnerDeps) {}

  async run(job: ResolvedJob, options: RunOptions): Promise<RunResult> {
    const { runs, log } = this.deps;
    const now = this.deps.now ?? (() => new Date());
    const driver = this.deps.sources[job.source.config.kind];
    const startedAt = now();
    // Names have one-second resolution; two runs of a job within the same second must not
    // share a name (the second would overwrite the first one's parts), so take the next free second.
    let stamp = startedAt;
    let fileName = payloadFileName(job, driver.extension(job.format), stamp);
    while (runs.fileNameTaken(job.name, fileName)) {
      stamp = new Date(stamp.getTime() + 1000);
      fileName = payloadFileName(job, driver.extension(job.format), stamp);
    }
    const run = runs.create({
      jobId: job.id,
      jobName: job.name,
      sourceKind: job.source.config.kind,
      trigger: options.trigger,
      status: "running",
      phase: "prepare",
      startedAt,
      fileName,
      encryption: job.encryption.kind,
      compression: job.compression,
      format: job.format,
      passphraseEnc: job.encryption.kind === "passphrase" ? (job.passphraseEnc ?? null) : null,
    });
    const progress: Progress = { runId: run.id, phase: "dumping", rawBytes: 0, payloadBytes: 0, partsUploaded: 0 };
    // An observer's failure (say, a chat message that could not be edited) never stops a backup.
    const report = () => {
      try {
        options.onProgress?.({ ...progress });
      } catch (err) {
        log.debug({ err: (err as Error).message }, "progress observer failed");
      }
    };
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const signal = controller.signal;
    const spool = path.join(this.deps.spoolDir, `run-${run.id}`);
    const destinations = job.destinations.map((d) => ({ id: d.id, destination: this.deps.makeDestination(d.config) }));
    const delivered: Delivered[] = [];
    const readBack = { checked: 0, skipped: 0 };
    const partsMeta: ManifestPart[] = [];
    let phase: BackupPhase = "prepare";
    const setPhase = (p: BackupPhase) => {
      phase = p;
      runs.update(run.id, { phase: p });
    };
    const child = log.child({ run: run.id, job: job.name });
    child.info({ trigger: options.trigger, file: fileName }, "backup started");

    try {
      try {
        await mkdir(spool, { recursive: true });
      } catch (err) {
        throw new SpoolError(`cannot create the spool folder ${spool}: ${(err as Error).message}`, { cause: err });
      }

      for (const { destination } of destinations) {
        if (destination.maxPartSize !== undefined && job.partSize > destination.maxPartSize) {
          throw new BackupError(
            "prepare",
            `part_size ${formatBytes(job.partSize)} is above the ${formatBytes(destination.maxPartSize)} that destination "${destination.name}" accepts; lower the job's part_size (19MiB keeps every part downloadable from Telegram) or use a self-hosted Bot API server`,
          );
        }
      }

      setPhase("dump");
      report();
      // Containers the source stops are recorded with the run, so recovery restarts them after a crash.
      const containers = { stopping: (c: { id: string; name: string }) => runs.recordStoppedContainer(run.id, c), running: (c: { id: string }) => runs.forgetStoppedContainer(run.id, c.id) };
      const dump = await driver.dump(job.source.config, { format: job.format, signal, containers });
      let split: SplitResult | undefined;
      // Each stage with the phase its own failure belongs to (counters never fail on their own).
      const stages: Array<{ stage: Stage; phase: BackupPhase }> = [
        { stage: dump.stream, phase: "dump" },
        {
          stage: counter((n) => {
            progress.rawBytes = n;
          }),
          phase: "dump",
        },
        { stage: compressor(job.compression), phase: "compress" },
      ];
      if (job.encryption.kind !== "none") stages.push({ stage: ageEncrypt(job.encryption), phase: "encrypt" });
      stages.push({
        stage: counter((n) => {
          progress.payloadBytes = n;
        }),
        phase: "dump",
      });
      // Stops a delivery in flight (an upload, its retries, a read-back) once the pipeline failed.
      const deliveries = new AbortController();
      const deliverySignal = AbortSignal.any([signal, deliveries.signal]);
      const sink = splitter(
        {
          dir: spool,
          baseName: fileName,
          partSize: job.partSize,
          deliver: async (part) => {
            if (phase === "dump") setPhase("upload");
            progress.phase = "uploading";
            progress.currentPart = part.index;
            report();
            await this.deliverPart(run.id, job, destinations, part, delivered, partsMeta, readBack, deliverySignal);
            progress.partsUploaded = part.index;
            report();
          },
        },
        (r) => {
          split = r;
        },
      );
      let sinkSettled: Promise<unknown> = Promise.resolve();
      const watchedSink = (source: AsyncIterable<Uint8Array>): Promise<void> => {
        const running = sink(source);
        sinkSettled = running.catch(() => {});
        return running;
      };
      try {
        await runStages([...stages.map((s) => s.stage), watchedSink], signal);
      } catch (err) {
        const failure = err instanceof StageFailure ? err : new StageFailure(-1, err);
        deliveries.abort(failure.cause);
        // runStages stops every stage from waiting for input, so the sink settles: wait for it,
        // so everything delivered is known (and discarded) and nothing lands afterwards.
        await sinkSettled;
        const sourceFailure = await settleWithin(dump.done, SOURCE_STOP_GRACE_MS).then(
          (outcome) => {
            if (outcome === "pending") child.warn("the source did not finish stopping in time; the run is ended anyway");
            return null;
          },
          (e: unknown) => e,
        );
        throw failureCause(failure, stages.map((s) => s.phase), sourceFailure);
      }
      await dump.done;
      const result = split!;

      setPhase("manifest");
      progress.phase = "manifest";
      report();
      const finishedAt = now();
      const manifest: Manifest = {
        tool: "tele-backup",
        tool_version: VERSION,
        run_id: run.id,
        ...(run.installationId ? { installation_id: run.installationId } : {}),
        job: job.name,
        source: { name: job.source.name, kind: job.source.config.kind, ...(dump.serverVersion ? { server_version: dump.serverVersion } : {}) },
        format: job.format,
        compression: job.compression,
        encryption: job.encryption.kind === "recipients" ? { type: "recipients", recipients: job.encryption.recipients } : { type: job.encryption.kind },
        started_at: startedAt.toISOString(),
        finished_at: finishedAt.toISOString(),
        raw_size: progress.rawBytes,
        payload: { name: fileName, size: result.size, sha256: result.sha256 },
        parts: partsMeta,
        restore: restoreRecipe({ payloadName: fileName, kind: job.source.config.kind, format: job.format, compression: job.compression, encryption: job.encryption.kind }),
      };
      await this.deliverManifest(run.id, job, destinations, manifest, spool, delivered, signal);

      // Every part was read back right after it was stored (while the next one was dumped).
      const verified = readBack.checked > 0 && readBack.skipped === 0;
      const mirrorFailures = verified
        ? await mirrorRun(
            { runs, log: child, retry: this.deps.retry ?? DEFAULT_RETRY_POLICY, readBackIdleMs: this.deps.readBackIdleMs ?? DEFAULT_READ_BACK_IDLE_MS },
            { runId: run.id, jobName: job.name },
            destinations,
            signal,
          )
        : [];

      const done = now();
      runs.update(run.id, {
        status: "success",
        phase: null,
        finishedAt: done,
        rawSize: progress.rawBytes,
        payloadSize: result.size,
        sha256: result.sha256,
        partCount: result.parts,
        verifiedAt: verified ? done : null,
        manifest: manifest as unknown as Record<string, unknown>,
      });
      progress.phase = "done";
      report();
      child.info({ size: result.size, parts: result.parts }, "backup finished");
      return {
        runId: run.id,
        status: "success",
        job: job.name,
        fileName,
        rawSize: progress.rawBytes,
        payloadSize: result.size,
        sha256: result.sha256,
        parts: result.parts,
        durationMs: done.getTime() - startedAt.getTime(),
        verified,
        error: null,
        ...(mirrorFailures.length > 0 ? { mirrorFailures } : {}),
      };
    } catch (err) {
      const interrupted = options.signal?.aborted === true;
      const message = redact(describeFailure(phase, err, interrupted), jobSecrets(job));
      child.error({ phase, err: redact(String((err as Error)?.stack ?? err), jobSecrets(job)) }, "backup failed");
      await this.discard(run.id, delivered, child);
      const done = now();
      runs.update(run.id, {
        status: interrupted ? "interrupted" : "failed",
        finishedAt: done,
        rawSize: progress.rawBytes,
        payloadSize: progress.payloadBytes,
        error: message,
      });
      return {
        runId: run.id,
        status: interrupted ? "interrupted" : "failed",
        job: job.name,
        fileName,
        rawSize: progress.rawBytes,
        payloadSize: progress.payloadBytes,
        sha256: null,
        parts: 0,
        durationMs: done.getTime() - startedAt.getTime(),
        verified: false,
        error: message,
      };
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      await rm(spool, { recursive: true, force: true });
    }
  }

  /**
   * Stores one part in every destination and reads each copy back right away (while the next
   * part is being dumped). A copy that stays bad after the read-back's retries is replaced by a
   * new upload, once, and read back again. Only a second bad copy fails the run.
   */
  private async deliverPart(
    runId: number,
    job: ResolvedJob,
    destinations: Array<{ id: number; destination: Destination }>,
    part: SpooledPart,
    delivered: Delivered[],
    partsMeta: ManifestPart[],
    readBack: { checked: number; skipped: number },
    signal: AbortSignal,
  ): Promise<void> {
    const meta: ManifestPart = { index: part.index, name: part.name, size: part.size, sha256: part.sha256, stored: {} };
    for (const { id, destination } of destinations) {
      const copy = await this.storePart(runId, job, id, destination, part, delivered, signal);
      let check = await this.readBackPart(destination, part, copy.location, signal);
      if (check.status === "bad") {
        this.deps.log.warn({ run: runId, destination: destination.name, part: part.name, reason: check.reason }, "a stored part reads back wrong; uploading it again");
        await this.storeAgain(copy, runId, job, part, signal);
        check = await this.readBackPart(destination, part, copy.location, signal);
        if (check.status === "bad") {
          throw new BackupError("verify", `${destination.name}: ${part.name} ${check.reason}, also after uploading it again`);
        }
      }
      if (check.status === "ok") readBack.checked++;
      else readBack.skipped++;
      const location = copy.location;
      meta.stored[destination.name] = { locator: location.locator, ...(location.messageId ? { message_id: location.messageId } : {}), ...(location.fileId ? { file_id: location.fileId } : {}) };
    }
    partsMeta.push(meta);
  }

  /**
   * Replaces a copy that read back wrong: removes it (best effort: a copy the backend refuses
   * to delete stays behind, unreferenced), uploads the part again, and points the copy's row
   * and `copy` itself at the new one.
   */
  private async storeAgain(copy: Delivered, runId: number, job: ResolvedJob, part: SpooledPart, signal: AbortSignal): Promise<void> {
    const { destination } = copy;
    try {
      const { refused } = await destination.delete([copy.location], signal);
      if (refused.length > 0) this.deps.log.warn({ run: runId, part: part.name }, "the copy that read back wrong could not be removed");
    } catch (err) {
      this.deps.log.warn({ run: runId, part: part.name, err: (err as Error).message }, "the copy that read back wrong could not be removed");
    }
    const location = await this.withUploadRetry(
      () => destination.putPart({ runId, jobName: job.name }, { index: part.index, total: part.last ? part.index : undefined, name: part.name, size: part.size, sha256: part.sha256 }, part.file, signal),
      signal,
    );
    const row = this.deps.runs.movePart(copy.rowId, {
      locator: location.locator,
      messageId: location.messageId ?? null,
      fileId: location.fileId ?? null,
      storedAt: new Date(),
    });
    copy.location = { ...location, storedAt: row.storedAt };
  }

  /** Uploads one part (with retries) and records it; the copy is on `delivered` from then on. */
  private async storePart(
    runId: number,
    job: ResolvedJob,
    destinationId: number,
    destination: Destination,
    part: SpooledPart,
    delivered: Delivered[],
    signal: AbortSignal,
  ): Promise<Delivered> {
    const location = await this.withUploadRetry(
      () => destination.putPart({ runId, jobName: job.name }, { index: part.index, total: part.last ? part.index : undefined, name: part.name, size: part.size, sha256: part.sha256 }, part.file, signal),
      signal,
    );
    const row = this.deps.runs.addPart({
      runId,
      destinationId,
      partIndex: part.index,
      name: part.name,
      size: part.size,
      sha256: part.sha256,
      locator: location.locator,
      messageId: location.messageId ?? null,
      fileId: location.fileId ?? null,
      storedAt: new Date(),
    });
    const copy: Delivered = { rowId: row.id, destination, location: { ...location, storedAt: row.storedAt } };
    delivered.push(copy);
    return copy;
  }

  private readBackPart(destination: Destination, part: SpooledPart, location: StoredLocation, signal: AbortSignal): Promise<ReadBackResult> {
    return readBackPart(destination, part, location, {
      retry: this.deps.retry ?? DEFAULT_RETRY_POLICY,
      idleTimeoutMs: this.deps.readBackIdleMs ?? DEFAULT_READ_BACK_IDLE_MS,
      signal,
      onRetry: (err, attempt, delayMs) => this.deps.log.warn({ attempt, delayMs, part: part.name, err: (err as Error).message }, "read-back failed, retrying"),
    });
  }

  private async deliverManifest(
    runId: number,
    job: ResolvedJob,
    destinations: Array<{ id: number; destination: Destination }>,
    manifest: Manifest,
    spool: string,
    delivered: Delivered[],
    signal: AbortSignal,
  ): Promise<void> {
    const name = `${manifest.payload.name}.manifest.json`;
    const body = JSON.stringify(manifest, null, 2) + "\n";
    const file = path.join(spool, name);
    try {
      await writeFile(file, body);
    } catch (err) {
      throw new SpoolError(`cannot write the manifest to ${spool}: ${(err as Error).message}`, { cause: err });
    }
    const sha256 = createHash("sha256").update(body).digest("hex");
    const size = Buffer.byteLength(body);
    for (const { id, destination } of destinations) {
      const info = { index: 0, total: manifest.parts.length, name, size, sha256, recipe: manifest.restore };
      const location = await this.withUploadRetry(() => destination.putPart({ runId, jobName: job.name }, info, file, signal), signal);
      const row = this.deps.runs.addPart({
        runId,
        destinationId: id,
        partIndex: 0,
        name,
        size,
        sha256,
        locator: location.locator,
        messageId: location.messageId ?? null,
        fileId: location.fileId ?? null,
        storedAt: new Date(),
      });
      delivered.push({ rowId: row.id, destination, location: { ...location, storedAt: row.storedAt } });
    }
  }

  private withUploadRetry<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const policy = this.deps.retry ?? DEFAULT_RETRY_POLICY;
    return withRetry(fn, {
      ...policy,
      signal,
      isPermanent: (err) => !(err instanceof DestinationError) || err.permanent,
      onRetry: (err, attempt, delayMs) => this.deps.log.warn({ attempt, delayMs, err: (err as Error).message }, "upload failed, retrying"),
    });
  }

  /**
   * Removes what a failed run already delivered, so nothing half-done looks like a backup.
   * An interrupted run is cleaned up too, after its own signal fired, so the discard has a
   * signal of its own: a destination that hangs cannot hold a failed run open.
   */
  private async discard(runId: number, delivered: Delivered[], log: Logger): Promise<void> {
    const signal = AbortSignal.timeout(DISCARD_LIMIT_MS);
    for (const d of delivered) {
      try {
        const { refused } = await d.destination.delete([d.location], signal);
        if (refused.length === 0) this.deps.runs.markPartDeleted(d.rowId);
      } catch (err) {
        log.warn({ run: runId, err: (err as Error).message }, "could not remove a part of a failed run");
      }
    }
  }
}

/** `<job>_<UTC yyyymmdd-hhmmss>.<ext>[.gz|.zst][.age]` */
export function payloadFileName(job: Pick<ResolvedJob, "name" | "compression" | "encryption">, ext: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${job.name}_${stamp}.${ext}${COMPRESSION_EXT[job.compression]}${job.encryption.kind === "none" ? "" : ".age"}`;
}

/** How long removing a failed run's parts may take in all. */
const DISCARD_LIMIT_MS = 5 * 60_000;

/** How long a failed run waits for its source to finish stopping (children get SIGTERM, then SIGKILL after 5 s). */
const SOURCE_STOP_GRACE_MS = 60_000;

async function settleWithin(p: Promise<void>, ms: number): Promise<"done" | "pending"> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"pending">((resolve) => {
    timer = setTimeout(() => resolve("pending"), ms);
    timer.unref();
  });
  try {
    return await Promise.race([p.then(() => "done" as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The reason a user reads for a failed pipeline: the failure of the stage that started it.
 * The source's own `done` error is preferred when the source failed first (drivers word it
 * best: the tool's stderr line). When a later stage failed first, the source only reports
 * that it was stopped, so the stage's failure is the story; a compression or encryption
 * stage's plain error gets its phase. The sink's own errors (spool, upload, verify) pass as they are.
 */
function failureCause(failure: StageFailure, phases: BackupPhase[], sourceFailure: unknown): unknown {
  const { stage, cause } = failure;
  if (stage === 0) return sourceFailure ?? cause;
  if (stage < 0) {
    if (!sourceFailure) return cause;
    if (cause instanceof SpoolError || cause instanceof DestinationError || cause instanceof BackupError) return cause;
    return sourceFailure;
  }
  const phase = phases[stage];
  if (phase && phase !== "dump" && !(cause instanceof SpoolError || cause instanceof DestinationError || cause instanceof BackupError)) {
    const detail = cause instanceof ChildTransformError ? cause.detail : ((cause as Error)?.message ?? String(cause));
    return new BackupError(phase, detail, { cause });
  }
  return cause;
}

function describeFailure(phase: BackupPhase, err: unknown, interrupted: boolean): string {
  if (interrupted) return "interrupted: the backup was stopped before it finished";
  if (err instanceof SourceError) return `dump failed: ${err.message}`;
  if (err instanceof SpoolError) return `spool: ${err.message}`;
  if (err instanceof DestinationError) return `upload failed: ${err.message}`;
  if (err instanceof BackupError) return `${err.phase} failed: ${err.message}`;
  const e = err as NodeJS.ErrnoException;
  return `${phase} failed: ${e?.message ?? String(err)}`;
}
