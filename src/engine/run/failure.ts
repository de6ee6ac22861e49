import { redact, redactParams } from "../../crypto/redact.js";
import { DestinationError } from "../../destinations/port.js";
import { SourceError } from "../../sources/port.js";
import { translatableOf, type Translatable, type TranslatableParam } from "../../shared/translatable.js";
import { BackupError, SpoolError, type BackupPhase } from "../errors.js";
import { ChildTransformError } from "../stages/child-transform.js";
import type { StageFailure } from "../stages/run-pipeline.js";

type Params = Record<string, TranslatableParam>;

/** Gives an error the locale key and params its readers see; its message stays the English for logs. */
export function keyed<E extends Error>(error: E, key: string, params: Params): E {
  return Object.assign(error, { key, params });
}

/** How a failed run is stored: the English line for logs and the same thing as key + params (secrets removed from both). */
export interface RunFailureText {
  error: string;
  errorKey: string;
  errorParams: Params;
}

export function describeFailure(phase: BackupPhase, err: unknown, interrupted: boolean, secrets: string[], cancelledBy: string | null = null): RunFailureText {
  if (cancelledBy !== null) {
    return { error: redact(`cancelled: stopped by ${cancelledBy}`, secrets), errorKey: "run-failed-cancelled", errorParams: redactParams({ by: cancelledBy }, secrets) };
  }
  const { key, params } = failureTranslatable(phase, err, interrupted);
  return { error: redact(failureEnglish(phase, err, interrupted), secrets), errorKey: key, errorParams: redactParams(params ?? {}, secrets) };
}

function failureEnglish(phase: BackupPhase, err: unknown, interrupted: boolean): string {
  if (interrupted) return "interrupted: the backup was stopped before it finished";
  if (err instanceof SourceError) return `dump failed: ${err.message}`;
  if (err instanceof SpoolError) return `spool: ${err.message}`;
  if (err instanceof DestinationError) return `upload failed: ${err.message}`;
  if (err instanceof BackupError) return `${err.phase} failed: ${err.message}`;
  return `${phase} failed: ${(err as Error)?.message ?? String(err)}`;
}

/** The same frames as `failureEnglish`, as `run-failed-*` keys with the inner reason (translatable when the error carries a key). */
function failureTranslatable(phase: BackupPhase, err: unknown, interrupted: boolean): Translatable {
  if (interrupted) return { key: "run-failed-interrupted" };
  const reason: TranslatableParam = translatableOf(err) ?? (err as Error)?.message ?? String(err);
  if (err instanceof SourceError) return { key: "run-failed-dump", params: { reason } };
  if (err instanceof SpoolError) return { key: "run-failed-spool", params: { reason } };
  if (err instanceof DestinationError) return { key: "run-failed-upload", params: { reason } };
  return { key: `run-failed-${err instanceof BackupError ? err.phase : phase}`, params: { reason } };
}

/**
 * The reason a user reads for a failed pipeline: the failure of the stage that started it.
 * The source's own `done` error is preferred when the source failed first (drivers word it
 * best: the tool's stderr line). When a later stage failed first, the source only reports
 * that it was stopped, so the stage's failure is the story; a compression or encryption
 * stage's plain error gets its phase. The sink's own errors (spool, upload, verify) pass as they are.
 */
export function failureCause(failure: StageFailure, phases: BackupPhase[], sourceFailure: unknown): unknown {
  const { stage, cause } = failure;
  const ownFailure = cause instanceof SpoolError || cause instanceof DestinationError || cause instanceof BackupError;
  // Stage 0 is the source's stream, unless the compressor reads the dump's file itself.
  if (stage === 0 && phases[0] === "dump") return sourceFailure ?? cause;
  // A compressor fed by the source's own child fails with the source's failure, in its words.
  if (cause instanceof SourceError) return cause;
  if (stage < 0) return !sourceFailure || ownFailure ? cause : sourceFailure;
  const phase = phases[stage];
  if (phase && phase !== "dump" && !ownFailure) {
    const detail = cause instanceof ChildTransformError ? cause.detail : ((cause as Error)?.message ?? String(cause));
    return new BackupError(phase, detail, { cause });
  }
  return cause;
}
