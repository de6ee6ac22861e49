import path from "node:path";
import type { RunInventory, RunRow } from "../../db/schema.js";
import type { Destination } from "../../destinations/port.js";
import type { DestinationFactory } from "../../destinations/registry.js";
import type { ResolvedJob } from "../../domain.js";
import type { Logger } from "../../logger.js";
import type { SourceDriver } from "../../sources/port.js";
import type { SourceRegistry } from "../../sources/registry.js";
import type { BackupPhase } from "../errors.js";
import type { InventoryCounter } from "../inventory.js";
import type { ManifestPart } from "../manifest.js";
import { COMPRESSION_EXT } from "../stages/compress.js";
import type { SplitResult } from "../stages/split.js";
import { CleanupStack } from "./cleanup-stack.js";
import { RunCancelled, type Progress, type RunDeps, type RunOptions } from "./types.js";

/** How long the cleanup of a run (removing a failed run's parts included) may take in all. */
const CLEANUP_LIMIT_MS = 5 * 60_000;

export interface Target {
  id: number;
  destination: Destination;
}

/** Everything one run knows, handed from phase to phase; each phase adds what it learned. */
export interface RunContext {
  readonly deps: RunDeps;
  readonly job: ResolvedJob;
  readonly driver: SourceDriver;
  readonly run: RunRow;
  readonly fileName: string;
  readonly startedAt: Date;
  readonly log: Logger;
  /** The run's own signal (the caller's, or one that never fires). */
  readonly signal: AbortSignal;
  /** True once the caller stopped the run (its failure is then "interrupted"). */
  readonly interrupted: () => boolean;
  /** Who stopped the run on purpose (its failure is then "cancelled"), else null. */
  readonly cancelledBy: () => string | null;
  readonly spool: string;
  readonly targets: Target[];
  readonly cleanup: CleanupStack;
  readonly progress: Progress;
  /** Tells the observer; its failure (a chat message that could not be edited) never stops a backup. */
  readonly report: () => void;
  /** Where the run is; stored on the row as it changes. */
  phase: BackupPhase;
  /** Each part's manifest entry, in order, as it is delivered. */
  readonly parts: ManifestPart[];
  readonly readBack: { checked: number; skipped: number };
  serverVersion?: string;
  payload?: SplitResult;
  /** Counts what the dump holds as it streams by (null: this kind/format cannot be counted so). */
  inventory?: InventoryCounter | null;
  /** Row or file counts the source made itself (Dump.tables, Dump.files), once the dump is done; `inventoryOf` reads them. */
  counted?: RunInventory;
  /** The raw size so far, where no counter sees the raw bytes (a source writing into the compressor itself: Dump.rawBytes). */
  rawBytesNow?: () => number;
  /** Entries the source saw change while it read them (Dump.changedWhileRead), once the dump is done. */
  changedWhileRead?: () => string[];
}

/** What the dump held: counted in passing by the pipeline, or by the source itself; null when neither could. */
export function inventoryOf(ctx: RunContext): RunInventory | null {
  return ctx.inventory?.result() ?? ctx.counted ?? null;
}

export interface BeginDeps {
  sources: SourceRegistry;
  makeDestination: DestinationFactory;
  spoolDir: string;
}

/** Begin: picks a free payload name, creates the run row and the run's logger. */
export function begin(deps: RunDeps, where: BeginDeps, job: ResolvedJob, options: RunOptions): RunContext {
  const driver = where.sources[job.source.config.kind];
  const startedAt = deps.now();
  // Names have one-second resolution: a run of the job in the same second (this process or
  // another) already has this one, so take the next free second.
  const ext = driver.extension(job.format);
  const run = deps.runs.createWithFreeName({
    jobId: job.id,
    jobName: job.name,
    sourceKind: job.source.config.kind,
    trigger: options.trigger,
    status: "running",
    phase: "prepare",
    startedAt,
    encryption: job.encryption.kind,
    compression: job.compression,
    format: job.format,
    passphraseEnc: job.encryption.kind === "passphrase" ? (job.passphraseEnc ?? null) : null,
  }, (attempt) => payloadFileName(job, ext, new Date(startedAt.getTime() + attempt * 1000)));
  const fileName = run.fileName!;
  const log = deps.log.child({ run: run.id, job: job.name });
  const progress: Progress = { runId: run.id, phase: "dumping", rawBytes: 0, payloadBytes: 0, partsUploaded: 0, sentBytes: 0, partsExpected: expectedParts(deps, job) };
  log.info({ trigger: options.trigger, file: fileName }, "backup started");
  return {
    deps,
    job,
    driver,
    run,
    fileName,
    startedAt,
    log,
    signal: options.signal ?? new AbortController().signal,
    interrupted: () => options.signal?.aborted === true,
    cancelledBy: () => (options.signal?.aborted && options.signal.reason instanceof RunCancelled ? options.signal.reason.by : null),
    spool: path.join(where.spoolDir, `run-${run.id}`),
    targets: job.destinations.map((d) => ({ id: d.id, destination: where.makeDestination(d.config) })),
    cleanup: new CleanupStack(log, CLEANUP_LIMIT_MS),
    progress,
    report: () => {
      try {
        options.onProgress?.({ ...progress });
      } catch (err) {
        log.debug({ err: (err as Error).message }, "progress observer failed");
      }
    },
    phase: "prepare",
    parts: [],
    readBack: { checked: 0, skipped: 0 },
  };
}

/** Parts the payload will probably have: as many as the job's last successful run's, at this part size. */
function expectedParts(deps: RunDeps, job: ResolvedJob): number | undefined {
  const last = deps.runs.listByJob(job.id, 20).find((r) => r.status === "success" && r.payloadSize != null);
  return last?.payloadSize ? Math.max(1, Math.ceil(last.payloadSize / job.partSize)) : undefined;
}

export function setPhase(ctx: RunContext, phase: BackupPhase): void {
  ctx.phase = phase;
  ctx.deps.runs.update(ctx.run.id, { phase });
}

/** `<job>_<UTC yyyymmdd-hhmmss>.<ext>[.gz|.zst][.age]` */
function payloadFileName(job: Pick<ResolvedJob, "name" | "compression" | "encryption">, ext: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${job.name}_${stamp}.${ext}${COMPRESSION_EXT[job.compression]}${job.encryption.kind === "none" ? "" : ".age"}`;
}
