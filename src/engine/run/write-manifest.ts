import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { SpoolError } from "../errors.js";
import { restoreRecipe, VERSION, type Manifest } from "../manifest.js";
import { inventoryOf, setPhase, type RunContext } from "./context.js";
import { recordDelivery, upload } from "./deliver.js";
import { keyed } from "./failure.js";

/** Manifest: describes the delivered payload and stores it beside the parts in every destination. */
export async function writeManifest(ctx: RunContext): Promise<Manifest> {
  setPhase(ctx, "manifest");
  ctx.progress.phase = "manifest";
  ctx.report();
  const manifest = describeRun(ctx);
  const name = `${manifest.payload.name}.manifest.json`;
  const body = JSON.stringify(manifest, null, 2) + "\n";
  const file = path.join(ctx.spool, name);
  try {
    await writeFile(file, body);
  } catch (err) {
    const detail = (err as Error).message;
    throw keyed(new SpoolError(`cannot write the manifest to ${ctx.spool}: ${detail}`, { cause: err }), "run-spool-manifest", { path: ctx.spool, detail });
  }
  const info = { index: 0, total: manifest.parts.length, name, size: Buffer.byteLength(body), sha256: createHash("sha256").update(body).digest("hex"), recipe: manifest.restore };
  for (const target of ctx.targets) {
    recordDelivery(ctx, target, info, await upload(ctx, target.destination, info, file, ctx.signal));
  }
  return manifest;
}

function describeRun(ctx: RunContext): Manifest {
  const { job, run, fileName } = ctx;
  const payload = ctx.payload!;
  const inventory = inventoryOf(ctx);
  return {
    tool: "tele-backup",
    tool_version: VERSION,
    run_id: run.id,
    ...(run.installationId ? { installation_id: run.installationId } : {}),
    job: job.name,
    source: { name: job.source.name, kind: job.source.config.kind, ...(ctx.serverVersion ? { server_version: ctx.serverVersion } : {}) },
    format: job.format,
    compression: job.compression,
    encryption: job.encryption.kind === "recipients" ? { type: "recipients", recipients: job.encryption.recipients } : { type: job.encryption.kind },
    started_at: ctx.startedAt.toISOString(),
    finished_at: ctx.deps.now().toISOString(),
    raw_size: ctx.progress.rawBytes,
    payload: { name: fileName, size: payload.size, sha256: payload.sha256 },
    parts: ctx.parts,
    restore: restoreRecipe({ payloadName: fileName, kind: job.source.config.kind, format: job.format, compression: job.compression, encryption: job.encryption.kind }),
    manifest_version: 2,
    ...(inventory ? { inventory } : {}),
  };
}
