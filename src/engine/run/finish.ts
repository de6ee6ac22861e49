import { jobSecrets } from "../../domain.js";
import { redact } from "../../crypto/redact.js";
import type { Manifest } from "../manifest.js";
import type { MirrorFailure } from "../mirror.js";
import type { RunContext } from "./context.js";
import { describeFailure } from "./failure.js";
import type { RunResult } from "./types.js";

/** Succeed: the run row becomes the record of a finished backup. */
export function succeed(ctx: RunContext, manifest: Manifest, verified: boolean, mirrorFailures: MirrorFailure[]): RunResult {
  const payload = ctx.payload!;
  const done = ctx.deps.now();
  ctx.deps.runs.update(ctx.run.id, {
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
    ...(mirrorFailures.length > 0 ? { mirrorFailures } : {}),
  };
}

/**
 * Fail: undoes what the run delivered (the cleanup stack, before the row says "failed", so
 * nothing half-done looks like a backup), then stores the failure in English and as key + params.
 */
export async function fail(ctx: RunContext, err: unknown): Promise<RunResult> {
  const interrupted = ctx.interrupted();
  const secrets = jobSecrets(ctx.job);
  const failure = describeFailure(ctx.phase, err, interrupted, secrets);
  ctx.log.error({ phase: ctx.phase, err: redact(String((err as Error)?.stack ?? err), secrets) }, "backup failed");
  await ctx.cleanup.unwind(true);
  const done = ctx.deps.now();
  const status = interrupted ? "interrupted" : "failed";
  ctx.deps.runs.update(ctx.run.id, { status, finishedAt: done, rawSize: ctx.progress.rawBytes, payloadSize: ctx.progress.payloadBytes, ...failure });
  return { ...outcome(ctx, status, done), payloadSize: ctx.progress.payloadBytes, sha256: null, parts: 0, verified: false, ...failure };
}

function outcome(ctx: RunContext, status: RunResult["status"], done: Date) {
  return { runId: ctx.run.id, status, job: ctx.job.name, fileName: ctx.fileName, rawSize: ctx.progress.rawBytes, durationMs: done.getTime() - ctx.startedAt.getTime() };
}
