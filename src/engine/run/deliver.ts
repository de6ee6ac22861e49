import { DestinationError, type Destination, type PartInfo, type StoredLocation } from "../../destinations/port.js";
import type { ManifestPart } from "../manifest.js";
import { locationColumns } from "../part-location.js";
import { readBackPart, type ReadBackResult } from "../read-back.js";
import { retryAfterMs, withRetry } from "../../shared/retry-policy.js";
import type { SpooledPart } from "../stages/split.js";
import type { RunContext, Target } from "./context.js";
import { BackupError } from "../errors.js";
import { keyed } from "./failure.js";

/** A copy this run stored: its row, and where it is now (a replaced copy moves). */
export interface Delivered {
  rowId: number;
  destination: Destination;
  location: StoredLocation;
}

/**
 * Stores one part in every destination and reads each copy back right away (while the next
 * part is being dumped). A copy that stays bad after the read-back's retries is replaced by a
 * new upload, once, and read back again. Only a second bad copy fails the run.
 */
export async function deliverPart(ctx: RunContext, part: SpooledPart, signal: AbortSignal): Promise<void> {
  const meta: ManifestPart = { index: part.index, name: part.name, size: part.size, sha256: part.sha256, stored: {} };
  const info = partInfo(part);
  for (const target of ctx.targets) {
    const { destination } = target;
    const copy = recordDelivery(ctx, target, info, await upload(ctx, destination, info, part.file, signal));
    let check = await readBack(ctx, destination, part, copy.location, signal);
    if (check.status === "bad") {
      ctx.log.warn({ destination: destination.name, part: part.name, reason: check.reason }, "a stored part reads back wrong; uploading it again");
      await storeAgain(ctx, copy, info, part.file, signal);
      check = await readBack(ctx, destination, part, copy.location, signal);
      if (check.status === "bad") {
        const params = { destination: destination.name, part: part.name, reason: check.reason };
        throw keyed(new BackupError("verify", `${destination.name}: ${part.name} ${check.reason}, also after uploading it again`), "run-copy-bad-twice", params);
      }
    }
    if (check.status === "ok") ctx.readBack.checked++;
    else ctx.readBack.skipped++;
    const at = copy.location;
    meta.stored[destination.name] = { locator: at.locator, ...(at.messageId ? { message_id: at.messageId } : {}), ...(at.fileId ? { file_id: at.fileId } : {}) };
  }
  ctx.parts.push(meta);
}

/**
 * Records a stored copy (a part or the manifest) as a run part, and registers its removal
 * should the run fail; from then on nothing this run delivered can be lost track of.
 */
export function recordDelivery(ctx: RunContext, target: Target, info: PartInfo, location: StoredLocation): Delivered {
  const row = ctx.deps.runs.addPart({
    runId: ctx.run.id,
    destinationId: target.id,
    partIndex: info.index,
    name: info.name,
    size: info.size,
    sha256: info.sha256,
    ...locationColumns(location),
    storedAt: new Date(),
  });
  const copy: Delivered = { rowId: row.id, destination: target.destination, location: { ...location, storedAt: row.storedAt } };
  ctx.cleanup.onFailure(`remove ${info.name} from ${target.destination.name}`, async (signal) => {
    try {
      const { refused } = await copy.destination.delete([copy.location], signal);
      if (refused.length === 0) ctx.deps.runs.markPartDeleted(copy.rowId);
    } catch (err) {
      ctx.log.warn({ err: (err as Error).message }, "could not remove a part of a failed run");
    }
  });
  return copy;
}

/** Uploads one file to one destination, with the run's retry policy (the only layer that retries an upload). */
export function upload(ctx: RunContext, destination: Destination, info: PartInfo, file: string, signal: AbortSignal): Promise<StoredLocation> {
  return withRetry(() => destination.putPart({ runId: ctx.run.id, jobName: ctx.job.name }, info, file, signal), {
    ...ctx.deps.retry,
    signal,
    isPermanent: (err) => !(err instanceof DestinationError) || err.permanent,
    onRetry: (err, attempt, delayMs) => {
      ctx.log.warn({ attempt, delayMs, part: info.name, err: (err as Error).message }, "upload failed, retrying");
      // A pause the server asked for (Telegram's 429) is shown while it lasts.
      if (retryAfterMs(err) !== undefined) {
        ctx.progress.waitMs = delayMs;
        ctx.report();
      }
    },
  }).finally(() => {
    if (ctx.progress.waitMs === undefined) return;
    delete ctx.progress.waitMs;
    ctx.report();
  });
}

/**
 * Replaces a copy that read back wrong: removes it (best effort: a copy the backend refuses
 * to delete stays behind, unreferenced), uploads the part again, and points the copy's row
 * and `copy` itself at the new one.
 */
async function storeAgain(ctx: RunContext, copy: Delivered, info: PartInfo, file: string, signal: AbortSignal): Promise<void> {
  try {
    const { refused } = await copy.destination.delete([copy.location], signal);
    if (refused.length > 0) ctx.log.warn({ part: info.name }, "the copy that read back wrong could not be removed");
  } catch (err) {
    ctx.log.warn({ part: info.name, err: (err as Error).message }, "the copy that read back wrong could not be removed");
  }
  const location = await upload(ctx, copy.destination, info, file, signal);
  const row = ctx.deps.runs.movePart(copy.rowId, { ...locationColumns(location), storedAt: new Date() });
  copy.location = { ...location, storedAt: row.storedAt };
}

function readBack(ctx: RunContext, destination: Destination, part: SpooledPart, location: StoredLocation, signal: AbortSignal): Promise<ReadBackResult> {
  return readBackPart(destination, part, location, {
    retry: ctx.deps.retry,
    idleTimeoutMs: ctx.deps.readBackIdleMs,
    signal,
    onRetry: (err, attempt, delayMs) => ctx.log.warn({ attempt, delayMs, part: part.name, err: (err as Error).message }, "read-back failed, retrying"),
  });
}

function partInfo(part: SpooledPart): PartInfo {
  return { index: part.index, total: part.last ? part.index : undefined, name: part.name, size: part.size, sha256: part.sha256 };
}
