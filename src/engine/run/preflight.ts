import { mkdir, rm } from "node:fs/promises";
import { DestinationError, RECORDED_COPIES_TO_CONFIRM } from "../../destinations/port.js";
import { formatBytes, sizeParam } from "../../shared/format.js";
import { BackupError, SpoolError } from "../errors.js";
import type { RunContext } from "./context.js";
import { keyed } from "./failure.js";

/**
 * Preflight: the spool folder exists (and goes at the end), every destination accepts the
 * job's part size, and every destination that can be replaced by an empty place unnoticed (a
 * folder whose disk is not mounted) is still the place its earlier backups went.
 */
export async function preflight(ctx: RunContext): Promise<void> {
  const { spool, job } = ctx;
  ctx.cleanup.always("remove the spool folder", () => rm(spool, { recursive: true, force: true }));
  try {
    await mkdir(spool, { recursive: true });
  } catch (err) {
    const detail = (err as Error).message;
    throw keyed(new SpoolError(`cannot create the spool folder ${spool}: ${detail}`, { cause: err }), "run-spool-create", { path: spool, detail });
  }
  for (const { destination } of ctx.targets) {
    if (destination.maxPartSize === undefined || job.partSize <= destination.maxPartSize) continue;
    // Sizes as parameters each reader sees in their own units; the English line uses the same wording.
    const params = { size: sizeParam(job.partSize), limit: sizeParam(destination.maxPartSize), destination: destination.name };
    const english = `part_size ${formatBytes(job.partSize)} is above the ${formatBytes(destination.maxPartSize)} that destination "${destination.name}" accepts; lower the job's part_size (19MiB keeps every part downloadable from Telegram) or use a self-hosted Bot API server`;
    throw keyed(new BackupError("prepare", english), "run-part-size-too-large", params);
  }
  // Before anything is dumped: a refusal leaves nothing written anywhere.
  for (const { id, destination } of ctx.targets) {
    try {
      await destination.confirmStore?.(ctx.deps.runs.newestManifestsAt(id, RECORDED_COPIES_TO_CONFIRM), ctx.signal);
    } catch (err) {
      // Nothing was uploaded: the run failed preparing, for the destination's reason.
      if (!(err instanceof DestinationError) || !err.key) throw err;
      throw keyed(new BackupError("prepare", err.message, { cause: err }), err.key, err.params ?? {});
    }
  }
}
