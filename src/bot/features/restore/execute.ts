import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { InputFile } from "grammy";
import type { RunRow } from "../../../db/schema.js";
import type { RestoreTarget } from "../../../engine/restore.js";
import { formatBytes } from "../../../shared/format.js";
import { ownerTag } from "../../../shared/process-owner.js";
import { renderError } from "../../../shared/translatable.js";
import type { BotContext, RestoreChoice } from "../../context.js";
import type { BotDeps } from "../../deps.js";
import { clip, speakerOf } from "../../format.js";
import { localeOf } from "../../locale.js";
import { LiveMessage, restoreProgressText } from "../../progress.js";
import type { BackgroundTasks } from "../../tasks.js";

/** Why a restore or verify failed, in the admin's language when the error carries a key (src/engine/restore.ts), cut to `max`. */
export function failureReason(ctx: BotContext, err: unknown, max: number): string {
  return clip(renderError((_locale, key, params) => ctx.t(key, params), "", err), max);
}

/** Starts the restore in the background with a live progress message. */
export async function execute(
  ctx: BotContext,
  deps: BotDeps,
  tasks: BackgroundTasks,
  run: RunRow,
  choice: RestoreChoice,
  targetName: string,
  keys: { identities?: string[]; passphrase?: string },
): Promise<void> {
  const t = ctx.t;
  const runLabel = String(run.id);
  const chatId = ctx.chat!.id;
  let sourceTarget: RestoreTarget | undefined;
  try {
    if (choice.kind === "source") {
      const source = await deps.sources.resolve(choice.sourceId);
      sourceTarget = { kind: "source", name: source.name, config: source.config, into: { mode: "replace" } };
    } else if (choice.kind === "new-file") {
      const source = await deps.sources.resolve(choice.sourceId);
      if (source.config.kind !== "sqlite") throw new Error(t("error-not-found"));
      sourceTarget = { kind: "source", name: path.basename(choice.path), config: { ...source.config, path: choice.path }, into: { mode: "new", from: source.config.path } };
    } else if (choice.kind === "new-database") {
      const source = await deps.sources.resolve(choice.sourceId);
      if (source.config.kind !== "postgres" && source.config.kind !== "mysql") throw new Error(t("error-not-found"));
      sourceTarget = { kind: "source", name: source.name, config: { ...source.config, database: choice.database }, into: { mode: "new", from: source.config.database } };
    }
  } catch (err) {
    await ctx.reply(t("restore-failed", { run: runLabel, target: targetName, reason: failureReason(ctx, err, 500) }));
    return;
  }

  const locale = await localeOf(ctx);
  const size = (n: number) => formatBytes(n, speakerOf(t, locale));
  const first = restoreProgressText(t, targetName, runLabel, null, locale);
  const msg = await ctx.reply(first);
  const live = new LiveMessage(ctx.api, chatId, msg.message_id, first, { intervalMs: deps.progressIntervalMs, log: deps.log });
  tasks.start(`restore run ${run.id}`, async (signal) => {
    // The owner tag lets start-up recovery remove the folder (decrypted output) if this process dies.
    const dir = path.join(deps.spoolDir, `bot-restore-${run.id}-${ownerTag()}-${Date.now()}`);
    const record = deps.restores?.begin({
      runId: run.id,
      target: targetName,
      via: "bot",
      kind: sourceTarget?.kind === "source" ? sourceTarget.config.kind : "file",
      scratch: sourceTarget ? deps.restorer.scratchOf(sourceTarget) : [dir],
      progressChatId: chatId,
      progressMessageId: msg.message_id,
    });
    try {
      const target: RestoreTarget = sourceTarget ?? { kind: "file", path: path.join(dir, targetName) };
      if (target.kind === "file") await mkdir(dir, { recursive: true });
      const result = await deps.restorer.restore(run.id, target, {
        // undefined: the passphrase stored with the run
        passphrase: keys.passphrase,
        identities: keys.identities,
        signal,
        onProgress: (p) => live.update(restoreProgressText(t, targetName, runLabel, p, locale)),
      });
      if (target.kind === "file") {
        await live.finish(t("restore-sending", { run: runLabel, file: targetName, size: size(result.bytes) }));
        await ctx.api.sendDocument(chatId, new InputFile(target.path, targetName), { caption: t("restore-file-caption", { run: runLabel, job: run.jobName }) });
      } else {
        await live.finish(t("restore-done", { run: runLabel, job: run.jobName, target: targetName, size: size(result.bytes) }));
      }
      if (result.skipped.length > 0) {
        const copies = result.skipped.map((c) => t("restore-skipped-copy", { destination: c.destination, part: c.part, status: c.status })).join("\n");
        await ctx.api.sendMessage(chatId, t("restore-skipped-copies", { copies }));
      }
      deps.log.info({ runId: run.id, target: target.kind === "file" ? "file" : targetName }, "bot: restore finished");
      if (record) deps.restores!.finish(record.id, "success");
    } catch (err) {
      deps.log.warn({ err: String(err), runId: run.id }, "bot: restore failed");
      if (record) deps.restores!.finish(record.id, signal.aborted ? "interrupted" : "failed", clip((err as Error).message ?? String(err), 800));
      await live.finish(t("restore-failed", { run: runLabel, target: targetName, reason: failureReason(ctx, err, 800) }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
