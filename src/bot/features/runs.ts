import { Composer, InlineKeyboard } from "grammy";
import type { RunRow } from "../../db/schema.js";
import type { BotContext } from "../context.js";
import type { BotDeps } from "../deps.js";
import { clip } from "../format.js";
import { answer, commandArg, num, show } from "../helpers.js";
import { localeOf } from "../locale.js";
import { addPager } from "../keyboards/common.js";
import { jobsCb } from "../keyboards/jobs.js";
import { runsCb, runsPattern } from "../keyboards/runs.js";
import { runSummary } from "../views.js";

export const RUNS_PAGE_SIZE = 6;

/** /logs [job] and a job's History button: run history, newest first, paginated. */
export function runsFeature(deps: BotDeps): Composer<BotContext> {
  const c = new Composer<BotContext>();

  c.command("logs", async (ctx) => {
    const arg = commandArg(ctx);
    if (!arg) return showRuns(ctx, deps, 0, 0);
    const row = deps.jobs.findRow(arg);
    if (!row) return void (await ctx.reply(ctx.t("jobs-unknown", { name: clip(arg, 64) })));
    await showRuns(ctx, deps, row.id, 0);
  });

  c.callbackQuery(runsPattern.page, async (ctx) => {
    await answer(ctx);
    await showRuns(ctx, deps, num(ctx.match), num(ctx.match, 2));
  });

  return c;
}

async function showRuns(ctx: BotContext, deps: BotDeps, jobId: number, page: number): Promise<void> {
  const job = jobId ? deps.jobs.findRow(jobId) : null;
  if (jobId && !job) return show(ctx, ctx.t("error-not-found"));
  const offset = page * RUNS_PAGE_SIZE;
  const fetched: RunRow[] = job ? deps.runs.listByJob(job.id, RUNS_PAGE_SIZE + 1, offset) : deps.runs.list(RUNS_PAGE_SIZE + 1, offset);
  const hasNext = fetched.length > RUNS_PAGE_SIZE;
  const runs = fetched.slice(0, RUNS_PAGE_SIZE);
  const kb = new InlineKeyboard();
  addPager(kb, page, { hasNext }, (p) => runsCb.page(jobId, p));
  if (job) kb.row().text(ctx.t("btn-open-job"), jobsCb.open(job.id));
  if (runs.length === 0) {
    const empty = page > 0 ? ctx.t("logs-page-empty") : job ? ctx.t("logs-empty-job", { job: job.name }) : ctx.t("logs-empty");
    return show(ctx, empty, kb);
  }
  const locale = await localeOf(ctx);
  const blocks = runs.map((run) => {
    const tz = (job?.timezone ?? deps.jobs.findRow(run.jobId ?? 0)?.timezone) || deps.defaultTimezone;
    const lines = [
      ctx.t("logs-run-head", { run: String(run.id), job: run.jobName, trigger: ctx.t(`trigger-${run.trigger}`) }),
      runSummary(ctx.t, run, locale, tz),
    ];
    if (run.partCount != null && run.status === "success") lines.push(ctx.t("logs-run-parts", { parts: run.partCount, file: run.fileName ?? "" }));
    if (run.expiredAt) lines.push(ctx.t("logs-run-expired"));
    if (run.error) lines.push(ctx.t("run-error-line", { error: clip(run.error, 300) }));
    return lines.join("\n");
  });
  const title = job ? ctx.t("logs-title-job", { job: job.name }) : ctx.t("logs-title");
  await show(ctx, `${title}\n\n${blocks.join("\n\n")}`, kb);
}
