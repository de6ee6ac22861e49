import type { Destination, RunLabel, StoredLocation } from "../destinations/port.js";
import type { Logger } from "../logger.js";
import type { RunsRepo } from "../repos/runs.repo.js";
import { locationColumns, locationOf } from "./part-location.js";
import { readBackPart } from "./read-back.js";
import type { RetryPolicy } from "../shared/retry-policy.js";

/** A destination whose mirror chat did not get a run's copies; the run itself stands. */
/** A destination whose mirror chat has this run's copies. */
export interface MirrorCopied {
  destinationId: number;
  destination: string;
}

/** A destination whose mirror chat did not get this run's copies, and why. */
export interface MirrorFailure extends MirrorCopied {
  error: string;
}

/** What mirroring a run did, per destination that names a mirror chat. */
export interface MirrorOutcome {
  mirrored: MirrorCopied[];
  failures: MirrorFailure[];
}

export interface MirrorDeps {
  runs: RunsRepo;
  log: Logger;
  retry: RetryPolicy;
  readBackIdleMs: number;
}

/**
 * After a verified run: every destination that names a mirror chat copies the run's messages
 * (parts and manifest) there; each copy is read back and, once all are intact, recorded as
 * copy 1 of its part, which restore and verify fall back to. A failure never fails the run:
 * the copies made are removed again (as far as they can be) and the failure is returned.
 */
export async function mirrorRun(deps: MirrorDeps, run: RunLabel, destinations: Array<{ id: number; destination: Destination }>, signal: AbortSignal): Promise<MirrorOutcome> {
  const mirrored: MirrorCopied[] = [];
  const failures: MirrorFailure[] = [];
  for (const { id, destination } of destinations) {
    if (!destination.mirror) continue;
    const rows = deps.runs.liveParts(run.runId).filter((p) => p.destinationId === id && p.copy === 0 && p.messageId != null);
    if (rows.length === 0) continue;
    let copies: StoredLocation[] = [];
    try {
      copies = await destination.mirror(run, rows.map((r) => ({ name: r.name, location: locationOf(r) })), signal);
      for (const [n, row] of rows.entries()) {
        const check = await readBackPart(destination, row, copies[n]!, { retry: deps.retry, idleTimeoutMs: deps.readBackIdleMs, signal });
        if (check.status === "bad") throw new Error(`the mirror copy of ${row.name} ${check.reason}`);
      }
      for (const [n, row] of rows.entries()) {
        const at = copies[n]!;
        deps.runs.addPart({
          runId: run.runId,
          destinationId: id,
          partIndex: row.partIndex,
          copy: 1,
          name: row.name,
          size: row.size,
          sha256: row.sha256,
          ...locationColumns(at),
          storedAt: at.storedAt ?? new Date(),
        });
      }
      deps.log.info({ run: run.runId, destination: destination.name, copies: copies.length }, "run copied to the mirror chat");
      mirrored.push({ destinationId: id, destination: destination.name });
    } catch (err) {
      const error = (err as Error).message;
      deps.log.warn({ run: run.runId, destination: destination.name, err: error }, "the run could not be copied to the mirror chat; it stands without a mirror copy");
      failures.push({ destinationId: id, destination: destination.name, error });
      if (copies.length > 0) await destination.delete(copies, signal).catch(() => undefined);
    }
  }
  return { mirrored, failures };
}
