import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { createHash } from "node:crypto";
import type { Compression } from "../domain.js";
import type { RunPartRow, RunRow } from "../db/schema.js";
import type { Destination, DestinationConfig, StoredLocation } from "../destinations/port.js";
import type { DestinationFactory } from "../destinations/registry.js";
import type { Logger } from "../logger.js";
import type { RunsRepo } from "../repos/runs.repo.js";
import type { DumpFormat, SourceConfig } from "../sources/port.js";
import type { SourceRegistry } from "../sources/registry.js";
import { decompressor } from "./stages/compress.js";
import { ageDecrypt } from "./stages/encrypt.js";
import { runPipeline, type Stage } from "./stages/run-pipeline.js";
import { hashStream, verifyStoredParts, type VerifyReport } from "./verify.js";

/** A restore or verify that cannot go ahead; the message is for the user. */
export class RestoreError extends Error {
  override name = "RestoreError";
}

export type RestoreTarget = { kind: "source"; name: string; config: SourceConfig } | { kind: "file"; path: string };

export interface RestoreProgress {
  phase: "downloading" | "checking" | "loading" | "done";
  bytes: number;
  total: number;
}

export interface RestoreOptions {
  /** age identities (AGE-SECRET-KEY-1...) for runs encrypted to recipients. */
  identities?: string[];
  /** The passphrase for passphrase-encrypted runs. */
  passphrase?: string;
  signal?: AbortSignal;
  onProgress?: (p: RestoreProgress) => void;
}

export interface RestoreDeps {
  runs: RunsRepo;
  sources: SourceRegistry;
  makeDestination: DestinationFactory;
  /** The destination config behind a run_parts.destination_id (null when it was deleted). */
  destinationConfig: (id: number) => Promise<DestinationConfig | null>;
  spoolDir: string;
  log: Logger;
}

interface PartSet {
  destination: Destination;
  parts: RunPartRow[];
}

/** Verifies and restores finished runs from wherever their parts were delivered. */
export class RestoreService {
  constructor(private readonly deps: RestoreDeps) {}

  /** Downloads every stored part of a run from every destination and checks its sha256. */
  async verify(runId: number, signal?: AbortSignal): Promise<VerifyReport & { run: RunRow }> {
    const run = this.successfulRun(runId);
    const sets = await this.partSets(run);
    if (sets.length === 0) throw new RestoreError(`run ${runId} has no stored parts left to verify`);
    const report = await verifyStoredParts(
      sets.map((s) => ({ destination: s.destination, parts: s.parts.map((p) => ({ index: p.partIndex, name: p.name, size: p.size, sha256: p.sha256, location: locationOf(p) })) })),
      signal,
    );
    for (const s of sets) {
      const payloadParts = s.parts.filter((p) => p.partIndex > 0);
      if (payloadParts.length !== run.partCount) report.problems.push(`${s.destination.name}: ${payloadParts.length} of ${run.partCount} parts are stored`);
    }
    report.ok = report.problems.length === 0;
    if (report.ok) this.deps.runs.update(run.id, { verifiedAt: new Date() });
    return { ...report, run };
  }

  /**
   * Checks every part's sha256 before loading anything, then streams
   * parts → decrypt → decompress → the target source (or a file).
   */
  async restore(runId: number, target: RestoreTarget, options: RestoreOptions = {}): Promise<{ run: RunRow; bytes: number }> {
    const run = this.successfulRun(runId);
    if (target.kind === "source" && target.config.kind !== run.sourceKind) {
      throw new RestoreError(`run ${runId} is a ${run.sourceKind} backup; it cannot be restored into ${target.config.kind} source "${target.name}"`);
    }
    if (run.encryption === "recipients" && !options.identities?.length) {
      throw new RestoreError(`run ${runId} is encrypted to age recipients: pass the private key with --identity <file>`);
    }
    if (run.encryption === "passphrase" && !options.passphrase) {
      throw new RestoreError(`run ${runId} is encrypted with a passphrase, and its job's passphrase is not available`);
    }
    if (target.kind === "file") {
      const exists = await stat(target.path).then(() => true, () => false);
      if (exists) throw new RestoreError(`${target.path} already exists; choose a new file`);
    }
    const sets = (await this.partSets(run)).filter((s) => s.parts.filter((p) => p.partIndex > 0).length === run.partCount);
    if (sets.length === 0) throw new RestoreError(`run ${runId}: no destination holds all ${run.partCount} parts`);
    // Prefer a destination we can read from disk over one we must download from.
    sets.sort((a, b) => Number(!a.destination.localPath) - Number(!b.destination.localPath));
    const { destination, parts } = sets[0]!;
    const payloadParts = parts.filter((p) => p.partIndex > 0).sort((a, b) => a.partIndex - b.partIndex);
    const total = run.payloadSize ?? 0;
    const staging = path.join(this.deps.spoolDir, `restore-${run.id}-${process.pid}-${Date.now()}`);
    const signal = options.signal;
    try {
      // 1. every part present and intact, before anything is loaded
      const files: string[] = [];
      let bytes = 0;
      for (const part of payloadParts) {
        options.onProgress?.({ phase: destination.localPath ? "checking" : "downloading", bytes, total });
        const file = await this.localCopy(destination, part, staging, signal);
        const actual = await hashStream(createReadStream(file), signal);
        if (actual.sha256 !== part.sha256) {
          throw new RestoreError(`part ${part.partIndex} (${part.name}) from ${destination.name} is corrupt: sha256 ${actual.sha256} does not match ${part.sha256}; nothing was restored`);
        }
        files.push(file);
        bytes += actual.size;
      }

      // 2. payload → decrypt → decompress → target
      let loaded = 0;
      const whole = createHash("sha256");
      const stages: Stage[] = [
        Readable.from(concatFiles(files, (chunk) => {
          whole.update(chunk);
          loaded += chunk.length;
          options.onProgress?.({ phase: "loading", bytes: loaded, total });
        })),
      ];
      if (run.encryption !== "none") stages.push(ageDecrypt({ identities: options.identities, passphrase: options.passphrase }));
      stages.push(decompressor(run.compression as Compression));
      if (target.kind === "file") {
        await writeFileAtomically(target.path, stages, signal);
      } else {
        const out = new PassThrough();
        const driver = this.deps.sources[target.config.kind];
        const restoring = driver.restore(target.config, out, { format: (run.format ?? driver.formats[0]) as DumpFormat, signal: signal ?? new AbortController().signal });
        // A restore that gives up stops reading: end the stages feeding it rather than leave them waiting.
        restoring.catch(() => out.destroy());
        await Promise.all([runPipeline([...stages, out], signal), restoring]);
      }
      if (whole.digest("hex") !== run.sha256) throw new RestoreError(`run ${runId}: the payload's sha256 does not match the manifest`);
      options.onProgress?.({ phase: "done", bytes: loaded, total });
      return { run, bytes: loaded };
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  private successfulRun(runId: number): RunRow {
    const run = this.deps.runs.get(runId);
    if (!run) throw new RestoreError(`run ${runId} not found`);
    if (run.status !== "success") throw new RestoreError(`run ${runId} did not succeed (${run.status}); there is nothing to restore`);
    return run;
  }

  private async partSets(run: RunRow): Promise<PartSet[]> {
    const byDestination = new Map<number, RunPartRow[]>();
    for (const p of this.deps.runs.liveParts(run.id)) {
      if (p.destinationId == null) continue;
      byDestination.set(p.destinationId, [...(byDestination.get(p.destinationId) ?? []), p]);
    }
    const sets: PartSet[] = [];
    for (const [id, parts] of byDestination) {
      const config = await this.deps.destinationConfig(id);
      if (config) sets.push({ destination: this.deps.makeDestination(config), parts });
    }
    return sets;
  }

  /** The part as a local file: read in place when the destination is a folder, else downloaded to staging. */
  private async localCopy(destination: Destination, part: RunPartRow, staging: string, signal?: AbortSignal): Promise<string> {
    const direct = destination.localPath?.(locationOf(part));
    if (direct) return direct;
    await mkdir(staging, { recursive: true });
    const file = path.join(staging, part.name);
    const handle = await open(file, "w");
    try {
      await runPipeline([await destination.fetch(locationOf(part), signal), handle.createWriteStream()], signal);
    } finally {
      await handle.close().catch(() => {});
    }
    return file;
  }
}

function locationOf(p: RunPartRow): StoredLocation {
  return { locator: p.locator ?? "", messageId: p.messageId ?? undefined, fileId: p.fileId ?? undefined };
}

function concatFiles(files: string[], onChunk: (chunk: Uint8Array) => void) {
  return (async function* () {
    for (const f of files) {
      for await (const chunk of createReadStream(f, { highWaterMark: 256 * 1024 })) {
        onChunk(chunk as Buffer);
        yield chunk as Buffer;
      }
    }
  })();
}

async function writeFileAtomically(target: string, stages: Stage[], signal?: AbortSignal): Promise<void> {
  await mkdir(path.dirname(path.resolve(target)), { recursive: true });
  const tmp = `${target}.partial-${process.pid}`;
  try {
    await runPipeline([...stages, createWriteStream(tmp, { flags: "wx" })], signal);
    const handle = await open(tmp, "r+");
    await handle.sync();
    await handle.close();
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
