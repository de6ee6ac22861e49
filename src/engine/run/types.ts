import type { RunRow } from "../../db/schema.js";
import type { Hook } from "../../domain.js";
import type { Logger } from "../../logger.js";
import type { RunsRepo } from "../../repos/runs.repo.js";
import type { RetryPolicy } from "../../shared/retry-policy.js";
import type { TranslatableParam } from "../../shared/translatable.js";
import type { AnomalyReason, AnomalyThresholds } from "../anomaly.js";
import type { MirrorCopied, MirrorFailure } from "../mirror.js";

export type RunTrigger = RunRow["trigger"];

export interface Progress {
  runId: number;
  phase: "dumping" | "uploading" | "manifest" | "verifying" | "done";
  rawBytes: number;
  payloadBytes: number;
  partsUploaded: number;
  /** The part being uploaded (1-based), when uploading. */
  currentPart?: number;
  /**
   * How many parts the payload will have: exact once the last part is cut (`partsExact`),
   * else an estimate from the job's previous successful run (never below the current part).
   */
  partsExpected?: number;
  partsExact?: boolean;
  /** Bytes of the parts every destination has stored so far (what was really sent). */
  sentBytes: number;
  /** While a destination asked the run to pause (Telegram's 429 retry_after): how long, in ms. */
  waitMs?: number;
}

export interface RunOptions {
  trigger: RunTrigger;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface RunResult {
  runId: number;
  status: "success" | "failed" | "interrupted" | "cancelled";
  job: string;
  fileName: string;
  rawSize: number;
  payloadSize: number;
  sha256: string | null;
  parts: number;
  durationMs: number;
  verified: boolean;
  /** English, for logs (secrets removed). */
  error: string | null;
  /** The same failure for readers: a locale key (`locales/<lang>/errors.ftl`) and its params, as stored on the run row. */
  errorKey?: string;
  errorParams?: Record<string, TranslatableParam>;
  /** Destinations whose mirror chat did not get this run's copies (the run stands; admins are warned). */
  mirrorFailures?: MirrorFailure[];
  /** Destinations whose mirror chat got this run's copies (a failing mirror's alert episode ends). */
  mirrored?: MirrorCopied[];
  /** Why this successful run looks wrong (src/engine/anomaly.ts): it stays a success, marked ⚠️. */
  anomalies?: AnomalyReason[];
}

/**
 * The abort reason of a run someone stopped on purpose (the bot's ⏹ Stop): the run ends
 * `cancelled` instead of `interrupted`, with what it delivered removed, like any failed run.
 */
export class RunCancelled extends Error {
  override name = "RunCancelled";
  constructor(readonly by: string) {
    super(`stopped by ${by}`);
  }
}

/** What every phase of a run may use. */
export interface RunDeps {
  runs: RunsRepo;
  log: Logger;
  now: () => Date;
  /** Uploads, read-backs and mirror read-backs (src/shared/retry-policy.ts). */
  retry: RetryPolicy;
  /** A read-back that brings no byte for this long is abandoned and retried. */
  readBackIdleMs: number;
  /** A job's anomaly thresholds overriding the defaults (src/engine/anomaly.ts). */
  anomalyThresholds?: (jobId: number) => Partial<AnomalyThresholds>;
}

/** When a job's hooks run: before the dump, after the run (always), after a failed run. */
export type HookStage = "before" | "after" | "on_failure";

/**
 * Runs a job's hooks of one stage, in order (src/application/hooks.ts). `before`: throws the
 * first failure (the run fails with it); `after` and `on_failure`: run every hook, log
 * failures, never throw.
 */
export interface HookRunner {
  /**
   * `spawned`: told the pid of each hook process started in the sidecar (the leader of its own
   * process group); `execStarted`: the id of each `docker exec` started in another container.
   */
  run(
    stage: HookStage,
    hooks: readonly Hook[],
    context: { log: Logger; signal: AbortSignal; secrets: string[]; spawned?: (pid: number) => void; execStarted?: (id: string) => void },
  ): Promise<void>;
}
