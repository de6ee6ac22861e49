import { jobSecrets } from "../../domain.js";
import { redact } from "../../crypto/redact.js";
import type { RunInventory } from "../../db/schema.js";
import { changedFilesReason, DEFAULT_ANOMALY_THRESHOLDS, describeAnomaly, detectAnomalies, type AnomalyReason } from "../anomaly.js";
import type { Manifest } from "../manifest.js";
import type { MirrorOutcome } from "../mirror.js";
import { inventoryOf, type RunContext } from "./context.js";
import { describeFailure } from "./failure.js";
import type { RunResult } from "./types.js";

/** Succeed: the run row becomes the record of a finished backup. */
export function succeed(ctx: RunContext, manifest: Manifest, verified: boolean, mirror: MirrorOutcome): RunResult {
  const payload = ctx.payload!;
  const done = ctx.deps.now();
  const inventory = inventoryOf(ctx);
  const anomalies = anomaliesOf(ctx, inventory);
  ctx.deps.runs.update(ctx.run.id, {
    inventory,
    anomalies: anomalies.length > 0 ? anomalies : null,
    status: "success",
    phase: null,
    finishedAt: done,
    rawSize: ctx.progress.rawBytes,
    payloadSize: payload.size,
    sha256: payload.sha256,
    partCount: payload.parts,
    verifiedAt: verified ? done : null,
    manifest: manifest as unknown as Record<string, unknown>,
  });
  ctx.progress.phase = "done";
  ctx.report();
  ctx.log.info({ size: payload.size, parts: payload.parts }, "backup finished");
  return {
    ...outcome(ctx, "success", done),
    payloadSize: payload.size,
    sha256: payload.sha256,
    parts: payload.parts,
    verified,
    error: null,
    ...(mirror.failures.length > 0 ? { mirrorFailures: mirror.failures } : {}),
    ...(mirror.mirrored.length > 0 ? { mirrored: mirror.mirrored } : {}),
    ...(anomalies.length > 0 ? { anomalies } : {}),
  };
}

/** This run against the job's earlier successful runs (newest first, by id). */
function anomaliesOf(ctx: RunContext, inventory: RunInventory | null): AnomalyReason[] {
  const thresholds = ctx.deps.anomalyThresholds?.(ctx.job.id) ?? {};
  const history = Math.max(1, thresholds.history ?? DEFAULT_ANOMALY_THRESHOLDS.history);
  const previous = ctx.deps.runs
    .listByJob(ctx.job.id, history + 20)
    .filter((r) => r.id < ctx.run.id && r.status === "success" && r.rawSize != null)
    .slice(0, history)
    .map((r) => ({ rawSize: r.rawSize ?? 0, inventory: r.inventory ?? null }));
  const changed = changedFilesReason(ctx.changedWhileRead?.() ?? []);
  const found = [...detectAnomalies({ rawSize: ctx.progress.rawBytes, inventory }, previous, thresholds), ...(changed ? [changed] : [])];
  if (found.length > 0) ctx.log.warn({ anomalies: found.map(describeAnomaly) }, "the run looks wrong (kept, marked ⚠️)");
  return found;
}

/**
 * Fail: undoes what the run delivered (the cleanup stack, before the row says "failed", so
 * nothing half-done looks like a backup), then stores the failure in English and as key + params.
 */
export async function fail(ctx: RunContext, err: unknown): Promise<RunResult> {
  const interrupted = ctx.interrupted();
  const cancelledBy = ctx.cancelledBy();
  const secrets = jobSecrets(ctx.job);
  const failure = describeFailure(ctx.phase, err, interrupted, secrets, cancelledBy);
  if (cancelledBy !== null) ctx.log.info({ phase: ctx.phase, by: cancelledBy }, "backup cancelled");
  else ctx.log.error({ phase: ctx.phase, err: redact(String((err as Error)?.stack ?? err), secrets) }, "backup failed");
  await ctx.cleanup.unwind(true);
  const done = ctx.deps.now();
  const status = cancelledBy !== null ? "cancelled" : interrupted ? "interrupted" : "failed";
  ctx.deps.runs.update(ctx.run.id, { status, finishedAt: done, rawSize: ctx.progress.rawBytes, payloadSize: ctx.progress.payloadBytes, ...failure });
  return { ...outcome(ctx, status, done), payloadSize: ctx.progress.payloadBytes, sha256: null, parts: 0, verified: false, ...failure };
}

function outcome(ctx: RunContext, status: RunResult["status"], done: Date) {
  return { runId: ctx.run.id, status, job: ctx.job.name, fileName: ctx.fileName, rawSize: ctx.progress.rawBytes, durationMs: done.getTime() - ctx.startedAt.getTime() };
}
