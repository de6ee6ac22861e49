import path from "node:path";
import { Composer, InlineKeyboard } from "grammy";
import { proposedDatabaseName } from "../../../sources/restore-names.js";
import { formatBytes } from "../../../shared/format.js";
import type { BotContext, RestoreChoice } from "../../context.js";
import type { BotDeps } from "../../deps.js";
import { formatTime, speakerOf } from "../../format.js";
import { answer, num, show } from "../../helpers.js";
import { restoreCb, restorePattern } from "../../keyboards/restore.js";
import { localeOf } from "../../locale.js";
import type { BackgroundTasks } from "../../tasks.js";
import { proceed } from "./keys.js";
import { proposedSqlitePath, restorableRun, restoredFileName, runTimezone } from "./restorable.js";

/**
 * Where a run goes: a new database (databases) or a new file (SQLite) beside the original, a
 * source of the same kind (replaced after its name is typed, see confirm.ts), or back into the
 * chat as a file. Every target offered can take the backup.
 */
export function pickTargetFeature(deps: BotDeps, tasks: BackgroundTasks): Composer<BotContext> {
  const c = new Composer<BotContext>();

  c.callbackQuery(restorePattern.run, async (ctx) => {
    await answer(ctx);
    const run = restorableRun(deps, num(ctx.match));
    if (!run) return show(ctx, ctx.t("restore-run-gone"));
    const tz = runTimezone(deps, run);
    const originalId = run.jobId != null ? deps.jobs.findRow(run.jobId)?.sourceId : undefined;
    const sources = deps.sources.list().filter((s) => s.kind === run.sourceKind);
    sources.sort((a, b) => Number(b.id === originalId) - Number(a.id === originalId) || a.name.localeCompare(b.name));
    const kb = new InlineKeyboard();
    // Databases and SQLite files: something new beside the original first (it touches nothing); replacing comes second.
    const isDb = run.sourceKind === "postgres" || run.sourceKind === "mysql";
    const isSqlite = run.sourceKind === "sqlite";
    const beside = isDb || isSqlite ? sources[0] : undefined;
    if (beside && isDb) {
      const database = proposedDatabaseName(beside.database ?? beside.name, run.startedAt, tz);
      kb.text(ctx.t("restore-target-new-database", { database, name: beside.name }), restoreCb.toNewDatabase(run.id, beside.id)).row();
    }
    if (beside && isSqlite && beside.path) {
      const file = path.basename(proposedSqlitePath(beside.path, run.startedAt, tz));
      kb.text(ctx.t("restore-target-new-file", { file, name: beside.name }), restoreCb.toNewFile(run.id, beside.id)).row();
    }
    const replaces = isDb || isSqlite;
    for (const s of sources) {
      const key = s.id === originalId ? (replaces ? "restore-target-replace-original" : "restore-target-original") : replaces ? "restore-target-replace" : "restore-target-source";
      kb.text(ctx.t(key, { name: s.name }), restoreCb.toSource(run.id, s.id)).row();
    }
    kb.text(ctx.t("restore-target-file"), restoreCb.toFile(run.id)).row();
    kb.text(ctx.t("btn-back"), run.jobId != null ? restoreCb.job(run.jobId, 0) : restoreCb.deletedJob(run.id, 0));
    const locale = await localeOf(ctx);
    await show(ctx, `${ctx.t("restore-pick-target", {
      run: String(run.id),
      job: run.jobName,
      when: formatTime(run.startedAt, locale, tz),
      kind: run.sourceKind,
    })}\n${ctx.t("screen-times-zone", { zone: tz })}`, kb);
  });

  c.callbackQuery(restorePattern.toNewFile, async (ctx) => {
    await answer(ctx);
    const run = restorableRun(deps, num(ctx.match));
    if (!run) return show(ctx, ctx.t("restore-run-gone"));
    const source = deps.sources.list().find((s) => s.id === num(ctx.match, 2));
    if (source?.kind !== "sqlite" || run.sourceKind !== "sqlite" || !source.path) return show(ctx, ctx.t("error-not-found"));
    const file = proposedSqlitePath(source.path, run.startedAt, runTimezone(deps, run));
    await show(ctx, ctx.t("restore-new-file-chosen", { run: String(run.id), file, name: source.name }));
    await proceed(ctx, deps, tasks, run, { kind: "new-file", sourceId: source.id, path: file }, path.basename(file));
  });

  c.callbackQuery(restorePattern.toSource, async (ctx) => {
    await answer(ctx);
    const run = restorableRun(deps, num(ctx.match));
    if (!run) return show(ctx, ctx.t("restore-run-gone"));
    const source = deps.sources.findRow(num(ctx.match, 2));
    if (!source || source.kind !== run.sourceKind) return show(ctx, ctx.t("error-not-found"));
    ctx.session.prompt = { kind: "restore-confirm", runId: run.id, target: { kind: "source", sourceId: source.id }, targetName: source.name };
    await show(ctx, ctx.t(source.kind === "sqlite" ? "restore-confirm-sqlite" : "restore-confirm", { run: String(run.id), job: run.jobName, target: source.name }));
  });

  c.callbackQuery(restorePattern.toNewDatabase, async (ctx) => {
    await answer(ctx);
    const run = restorableRun(deps, num(ctx.match));
    if (!run) return show(ctx, ctx.t("restore-run-gone"));
    const source = deps.sources.list().find((s) => s.id === num(ctx.match, 2));
    if (!source || source.kind !== run.sourceKind || (source.kind !== "postgres" && source.kind !== "mysql")) return show(ctx, ctx.t("error-not-found"));
    const database = proposedDatabaseName(source.database ?? source.name, run.startedAt, runTimezone(deps, run));
    await show(ctx, ctx.t("restore-new-database-chosen", { run: String(run.id), database, name: source.name }));
    await proceed(ctx, deps, tasks, run, { kind: "new-database", sourceId: source.id, database }, database);
  });

  c.callbackQuery(restorePattern.toFile, async (ctx) => {
    await answer(ctx);
    const run = restorableRun(deps, num(ctx.match));
    if (!run) return show(ctx, ctx.t("restore-run-gone"));
    const size = run.rawSize ?? run.payloadSize ?? 0;
    if (size > deps.maxUploadBytes) {
      const speaker = speakerOf(ctx.t, await localeOf(ctx));
      return show(ctx, ctx.t("restore-file-too-big", { run: String(run.id), size: formatBytes(size, speaker), limit: formatBytes(deps.maxUploadBytes, speaker) }));
    }
    const target: RestoreChoice = { kind: "file" };
    const targetName = restoredFileName(run);
    await show(ctx, ctx.t("restore-file-chosen", { run: String(run.id), file: targetName }));
    await proceed(ctx, deps, tasks, run, target, targetName);
  });

  return c;
}
