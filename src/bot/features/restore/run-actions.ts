import { Composer, InlineKeyboard } from "grammy";
import type { BotContext } from "../../context.js";
import type { BotDeps } from "../../deps.js";
import { failureReason } from "./execute.js";
import { answer, num, show } from "../../helpers.js";
import { restoreCb, restorePattern } from "../../keyboards/restore.js";
import { runsCb } from "../../keyboards/runs.js";
import { localeOf } from "../../locale.js";
import type { BackgroundTasks } from "../../tasks.js";
import { runSummary } from "../../views.js";
import { restorableRun, runTimezone } from "./restorable.js";

/**
 * One run's actions, reached from the history (/logs): restore it (the /restore target screen),
 * verify it (every stored copy read back and hashed, in the background) or have it sent as a file.
 */
export function runActionsFeature(deps: BotDeps, tasks: BackgroundTasks): Composer<BotContext> {
  const c = new Composer<BotContext>();

  c.callbackQuery(restorePattern.actions, async (ctx) => {
    await answer(ctx);
    const run = restorableRun(deps, num(ctx.match));
    if (!run) return show(ctx, ctx.t("restore-run-gone"));
    const tz = runTimezone(deps, run);
    const kb = new InlineKeyboard()
      .text(ctx.t("run-action-restore"), restoreCb.run(run.id))
      .row()
      .text(ctx.t("run-action-verify"), restoreCb.verify(run.id))
      .row()
      .text(ctx.t("restore-target-file"), restoreCb.toFile(run.id))
      .row()
      .text(ctx.t("btn-back"), runsCb.page(run.jobId ?? 0, 0));
    const summary = runSummary(ctx.t, run, await localeOf(ctx), tz);
    await show(ctx, `${ctx.t("run-actions-title", { run: String(run.id), job: run.jobName })}\n${summary}\n${ctx.t("screen-times-zone", { zone: tz })}`, kb);
  });

  c.callbackQuery(restorePattern.verify, async (ctx) => {
    await answer(ctx);
    const run = restorableRun(deps, num(ctx.match));
    if (!run) return show(ctx, ctx.t("restore-run-gone"));
    const t = ctx.t;
    const chatId = ctx.chat!.id;
    const msg = await ctx.reply(t("run-verify-started", { run: String(run.id) }));
    tasks.start(`verify run ${run.id}`, async (signal) => {
      let text: string;
      try {
        const report = await deps.restorer.verify(run.id, signal);
        const copies = report.copies.filter((x) => x.status !== "ok").map((x) => t("restore-skipped-copy", { destination: x.destination, part: x.part, status: x.status })).join("\n");
        text = report.ok
          ? t("run-verify-ok", { run: String(run.id), checked: report.checked })
          : t(report.restorable ? "run-verify-restorable" : "run-verify-broken", { run: String(run.id), copies });
      } catch (err) {
        text = t("run-verify-failed", { run: String(run.id), reason: failureReason(ctx, err, 500) });
      }
      await ctx.api.editMessageText(chatId, msg.message_id, text, { reply_markup: new InlineKeyboard().text(t("btn-back"), restoreCb.actions(run.id)) }).catch(async () => {
        await ctx.api.sendMessage(chatId, text).catch((err: unknown) => deps.log.warn({ err: String(err) }, "bot: could not send a verify result"));
      });
    });
  });

  return c;
}
