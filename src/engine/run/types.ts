import type { RunRow } from "../../db/schema.js";
import type { Logger } from "../../logger.js";
import type { RunsRepo } from "../../repos/runs.repo.js";
import type { RetryPolicy } from "../../shared/retry-policy.js";
import type { TranslatableParam } from "../../shared/translatable.js";
import type { MirrorFailure } from "../mirror.js";

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
  /** English, for logs (secrets removed). */
  error: string | null;
  /** The same failure for readers: a locale key (`locales/<lang>/errors.ftl`) and its params, as stored on the run row. */
  errorKey?: string;
  errorParams?: Record<string, TranslatableParam>;
  /** Destinations whose mirror chat did not get this run's copies (the run stands; admins are warned). */
  mirrorFailures?: MirrorFailure[];
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
}
