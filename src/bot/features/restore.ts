import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { Composer, InlineKeyboard, InputFile } from "grammy";
import type { RunRow } from "../../db/schema.js";
import type { RestoreTarget } from "../../engine/restore.js";
import type { BotContext, RestoreChoice } from "../context.js";
import type { BotDeps } from "../deps.js";
import { proposedDatabaseName } from "../../sources/restore-names.js";
import { formatBytes } from "../../shared/format.js";
import { clip, formatTime } from "../format.js";
import { answer, localeOf, num, show } from "../helpers.js";
import { addPager, pageOf } from "../keyboards/common.js";
import { jobListKeyboard } from "../keyboards/jobs.js";
import { restoreCb, restorePattern } from "../keyboards/restore.js";
import { ownerTag } from "../../shared/process-owner.js";
import { LiveMessage, restoreProgressText } from "../progress.js";
import type { BackgroundTasks } from "../tasks.js";

const RESTORABLE_SCAN = 200;

/**
 * /restore: job → run → target (a source of the same kind, or "send me the file") → the user
 * types the target's name → progress → result. Runs encrypted to age recipients need the
 * private key: the bot asks for it, deletes the message at once and never stores it.
 */
export function restoreFeature(deps: BotDeps, tasks: BackgroundTasks): Composer<BotContext> {
  const c = new Composer<BotContext>();

  const showJobs = async (ctx: BotContext, page: number) => {
    const jobs = deps.jobs.list();
    if (jobs.length === 0) return show(ctx, ctx.t("jobs-empty"));
    await show(ctx, ctx.t("restore-pick-job"), jobListKeyboard(jobs, page, (id) => restoreCb.job(id, 0), restoreCb.jobs));
  };

  c.command("restore", (ctx) => showJobs(ctx, 0));
  c.callbackQuery(restorePattern.jobs, async (ctx) => {
    await answer(ctx);
    await showJobs(ctx, num(ctx.match));
  });

  c.callbackQuery(restorePattern.job, async (ctx) => {
    await answer(ctx);
    const job = deps.jobs.findRow(num(ctx.match));
    if (!job) return show(ctx, ctx.t("error-not-found"));
    const runs = restorableRuns(deps, job.id);
    const back = new InlineKeyboard().text(ctx.t("btn-back"), restoreCb.jobs(0));
    if (runs.length === 0) return show(ctx, ctx.t("restore-no-runs", { job: job.name }), back);
    const locale = await localeOf(ctx);
    const tz = job.timezone ?? deps.defaultTimezone;
    const p = pageOf(runs, num(ctx.match, 2));
    const kb = new InlineKeyboard();
    for (const run of p.items) {
      kb.text(ctx.t("restore-run-button", { run: String(run.id), when: formatTime(run.startedAt, locale, tz), size: formatBytes(run.payloadSize ?? 0) }), restoreCb.run(run.id)).row();
    }
    addPager(kb, p.page, p.pages, (page) => restoreCb.job(job.id, page));
    kb.row().text(ctx.t("btn-back"), restoreCb.jobs(0));
    await show(ctx, ctx.t("restore-pick-run", { job: job.name }), kb);
  });

  c.callbackQuery(restorePattern.run, async (ctx) => {
    await answer(ctx);
    const run = restorableRun(deps, num(ctx.match));
    if (!run) return show(ctx, ctx.t("restore-run-gone"));
    const originalId = run.jobId != null ? deps.jobs.findRow(run.jobId)?.sourceId : undefined;
    const sources = deps.sources.list().filter((s) => s.kind === run.sourceKind);
    sources.sort((a, b) => Number(b.id === originalId) - Number(a.id === originalId) || a.name.localeCompare(b.name));
    const kb = new InlineKeyboard();
    // Databases: a new database beside the original first (it touches nothing); replacing comes second.
    const isDb = run.sourceKind === "postgres" || run.sourceKind === "mysql";
    const beside = isDb ? sources[0] : undefined;
    if (beside) {
      const database = proposedDatabaseName(beside.database ?? beside.name, run.startedAt, deps.defaultTimezone);
      kb.text(ctx.t("restore-target-new-database", { database, name: beside.name }), restoreCb.toNewDatabase(run.id, beside.id)).row();
    }
    for (const s of sources) {
      const key = s.id === originalId ? (isDb ? "restore-target-replace-original" : "restore-target-original") : isDb ? "restore-target-replace" : "restore-target-source";
      kb.text(ctx.t(key, { name: s.name }), restoreCb.toSource(run.id, s.id)).row();
    }
    kb.text(ctx.t("restore-target-file"), restoreCb.toFile(run.id)).row();
    kb.text(ctx.t("btn-back"), restoreCb.job(run.jobId ?? 0, 0));
    const locale = await localeOf(ctx);
    await show(ctx, ctx.t("restore-pick-target", {
      run: String(run.id),
      job: run.jobName,
      when: formatTime(run.startedAt, locale, deps.defaultTimezone),
      kind: run.sourceKind,
    }), kb);
  });

  c.callbackQuery(restorePattern.toSource, async (ctx) => {
    await answer(ctx);
    const run = restorableRun(deps, num(ctx.match));
    if (!run) return show(ctx, ctx.t("restore-run-gone"));
    const source = deps.sources.findRow(num(ctx.match, 2));
    if (!source || source.kind !== run.sourceKind) return show(ctx, ctx.t("error-not-found"));
    ctx.session.prompt = { kind: "restore-confirm", runId: run.id, target: { kind: "source", sourceId: source.id }, targetName: source.name };
    await show(ctx, ctx.t("restore-confirm", { run: String(run.id), job: run.jobName, target: source.name }));
  });

  c.callbackQuery(restorePattern.toNewDatabase, async (ctx) => {
    await answer(ctx);
    const run = restorableRun(deps, num(ctx.match));
    if (!run) return show(ctx, ctx.t("restore-run-gone"));
    const source = deps.sources.list().find((s) => s.id === num(ctx.match, 2));
    if (!source || source.kind !== run.sourceKind || (source.kind !== "postgres" && source.kind !== "mysql")) return show(ctx, ctx.t("error-not-found"));
    const database = proposedDatabaseName(source.database ?? source.name, run.startedAt, deps.defaultTimezone);
    await show(ctx, ctx.t("restore-new-database-chosen", { run: String(run.id), database, name: source.name }));
    await proceed(ctx, deps, tasks, run, { kind: "new-database", sourceId: source.id, database }, database);
  });

  c.callbackQuery(restorePattern.toFile, async (ctx) => {
    await answer(ctx);
    const run = restorableRun(deps, num(ctx.match));
    if (!run) return show(ctx, ctx.t("restore-run-gone"));
    const size = run.rawSize ?? run.payloadSize ?? 0;
    if (size > deps.maxUploadBytes) {
      return show(ctx, ctx.t("restore-file-too-big", { run: String(run.id), size: formatBytes(size), limit: formatBytes(deps.maxUploadBytes) }));
    }
    const target: RestoreChoice = { kind: "file" };
    const targetName = restoredFileName(run);
    await show(ctx, ctx.t("restore-file-chosen", { run: String(run.id), file: targetName }));
    await proceed(ctx, deps, tasks, run, target, targetName);
  });

  c.on("message:text").filter(
    (ctx) => ctx.session.prompt?.kind === "restore-confirm",
    async (ctx) => {
      const prompt = ctx.session.prompt;
      if (prompt?.kind !== "restore-confirm") return;
      if (ctx.message.text.trim() !== prompt.targetName) {
        await ctx.reply(ctx.t("restore-confirm-mismatch", { target: prompt.targetName }));
        return;
      }
      delete ctx.session.prompt;
      const run = restorableRun(deps, prompt.runId);
      if (!run) return void (await ctx.reply(ctx.t("restore-run-gone")));
      await proceed(ctx, deps, tasks, run, prompt.target, prompt.targetName);
    },
  );

  return c;
}

/**
 * The answer to "send the age private key": installed before the guided dialogs (see bot.ts),
 * so the key goes straight from the update to the restore — deleted from the chat at once,
 * never persisted (the dialogs' replay log stores the updates they see) and never logged.
 */
export function restoreKeyFeature(deps: BotDeps, tasks: BackgroundTasks): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.on("message:text").filter(
    // Commands (/cancel) are not keys: they go on to their handlers.
    (ctx) => ctx.session.prompt?.kind === "restore-identity" && !ctx.message.text.startsWith("/"),
    async (ctx) => {
      const prompt = ctx.session.prompt;
      if (prompt?.kind !== "restore-identity") return;
      // The key must not stay in the chat history.
      await ctx.deleteMessage().catch((err: unknown) => deps.log.warn({ err: String(err) }, "bot: could not delete the message with an age identity"));
      const identities = ctx.message.text.split(/\s+/).filter((s) => /^AGE-SECRET-KEY-1[0-9A-Z]+$/.test(s));
      if (identities.length === 0) return void (await ctx.reply(ctx.t("restore-identity-invalid")));
      delete ctx.session.prompt;
      const run = restorableRun(deps, prompt.runId);
      if (!run) return void (await ctx.reply(ctx.t("restore-run-gone")));
      await execute(ctx, deps, tasks, run, prompt.target, prompt.targetName, { identities });
    },
  );
  c.on("message:text").filter(
    (ctx) => ctx.session.prompt?.kind === "restore-passphrase" && !ctx.message.text.startsWith("/"),
    async (ctx) => {
      const prompt = ctx.session.prompt;
      if (prompt?.kind !== "restore-passphrase") return;
      // The passphrase must not stay in the chat history.
      await ctx.deleteMessage().catch((err: unknown) => deps.log.warn({ err: String(err) }, "bot: could not delete the message with a passphrase"));
      const passphrase = ctx.message.text;
      const run = restorableRun(deps, prompt.runId);
      if (!run) {
        delete ctx.session.prompt;
        return void (await ctx.reply(ctx.t("restore-run-gone")));
      }
      const check = await deps.restorer.checkPassphrase(run.id, passphrase).catch((err: unknown) => err as Error);
      if (check instanceof Error) {
        delete ctx.session.prompt;
        return void (await ctx.reply(ctx.t("restore-failed", { run: String(run.id), target: prompt.targetName, reason: clip(check.message, 500) })));
      }
      if (check === "wrong") return void (await ctx.reply(ctx.t("restore-passphrase-wrong", { run: String(run.id) })));
      delete ctx.session.prompt;
      await execute(ctx, deps, tasks, run, prompt.target, prompt.targetName, { passphrase });
    },
  );

  return c;
}

function restorableRuns(deps: BotDeps, jobId: number): RunRow[] {
  return deps.runs.listByJob(jobId, RESTORABLE_SCAN).filter((r) => r.status === "success" && !r.expiredAt);
}

function restorableRun(deps: BotDeps, runId: number): RunRow | null {
  const run = Number.isInteger(runId) ? deps.runs.get(runId) : null;
  return run && run.status === "success" && !run.expiredAt ? run : null;
}

/** `app_20260101-030000.sql.gz.age` → `app_20260101-030000.sql` (what the restore writes). */
export function restoredFileName(run: Pick<RunRow, "fileName" | "id" | "jobName">): string {
  const name = (run.fileName ?? `${run.jobName}-run-${run.id}`).replace(/\.age$/, "").replace(/\.(gz|zst)$/, "");
  return path.basename(name);
}

/** After the confirmation: ask for the age key when the run needs one, else start. */
async function proceed(ctx: BotContext, deps: BotDeps, tasks: BackgroundTasks, run: RunRow, target: RestoreChoice, targetName: string): Promise<void> {
  if (run.encryption === "recipients") {
    ctx.session.prompt = { kind: "restore-identity", runId: run.id, target, targetName };
    await ctx.reply(ctx.t("restore-identity-prompt", { run: String(run.id) }));
    return;
  }
  if (run.encryption === "passphrase") {
    // The passphrase kept with the run opens it unless its reference now points elsewhere; then ask.
    const check = await deps.restorer.checkPassphrase(run.id).catch((err: unknown) => err as Error);
    if (check instanceof Error) {
      await ctx.reply(ctx.t("restore-failed", { run: String(run.id), target: targetName, reason: clip(check.message, 500) }));
      return;
    }
    if (check === "wrong" || check === "unavailable") {
      ctx.session.prompt = { kind: "restore-passphrase", runId: run.id, target, targetName };
      await ctx.reply(ctx.t("restore-passphrase-prompt", { run: String(run.id), reason: check }));
      return;
    }
  }
  await execute(ctx, deps, tasks, run, target, targetName, {});
}

/** Starts the restore in the background with a live progress message. */
async function execute(
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
    } else if (choice.kind === "new-database") {
      const source = await deps.sources.resolve(choice.sourceId);
      if (source.config.kind !== "postgres" && source.config.kind !== "mysql") throw new Error(t("error-not-found"));
      sourceTarget = { kind: "source", name: source.name, config: { ...source.config, database: choice.database }, into: { mode: "new", from: source.config.database } };
    }
  } catch (err) {
    await ctx.reply(t("restore-failed", { run: runLabel, target: targetName, reason: clip((err as Error).message, 500) }));
    return;
  }

  const first = restoreProgressText(t, targetName, runLabel, null);
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
      scratch: sourceTarget ? [] : [dir],
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
        onProgress: (p) => live.update(restoreProgressText(t, targetName, runLabel, p)),
      });
      if (target.kind === "file") {
        await live.finish(t("restore-sending", { run: runLabel, file: targetName, size: formatBytes(result.bytes) }));
        await ctx.api.sendDocument(chatId, new InputFile(target.path, targetName), { caption: t("restore-file-caption", { run: runLabel, job: run.jobName }) });
      } else {
        await live.finish(t("restore-done", { run: runLabel, job: run.jobName, target: targetName, size: formatBytes(result.bytes) }));
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
      await live.finish(t("restore-failed", { run: runLabel, target: targetName, reason: clip((err as Error).message ?? String(err), 800) }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
