import type { TranslateFunction } from "@grammyjs/i18n";
import { Composer, type InlineKeyboard } from "grammy";
import type { JobView } from "../../../services/jobs.service.js";
import { formatBytes } from "../../../shared/format.js";
import type { BotContext } from "../../context.js";
import type { BotDeps } from "../../deps.js";
import { speakerOf } from "../../format.js";
import { answer, errorText, num, show } from "../../helpers.js";
import { jobCardKeyboard, jobListKeyboard, jobsCb, jobsPattern } from "../../keyboards/jobs.js";
import { localeOf } from "../../locale.js";
import { drillCb } from "./drill.js";
import { encryptionText, formatText, jobTimezone, lastRunText, nextRunText } from "../../views.js";

/** /jobs and the job card: the list, a card per job, enable/disable. */
export function jobCardFeature(deps: BotDeps): Composer<BotContext> {
  const c = new Composer<BotContext>();

  c.command("jobs", (ctx) => showList(ctx, deps, 0));
  c.callbackQuery(jobsPattern.list, async (ctx) => {
    await answer(ctx);
    await showList(ctx, deps, num(ctx.match));
  });

  c.callbackQuery(jobsPattern.open, async (ctx) => {
    await answer(ctx);
    await showCard(ctx, deps, num(ctx.match));
  });

  c.callbackQuery(jobsPattern.toggle, async (ctx) => {
    const job = findJob(deps, num(ctx.match));
    if (!job) return void (await answer(ctx, ctx.t("error-not-found")));
    try {
      const updated = deps.jobs.update(job.id, { enabled: !job.enabled });
      deps.jobsChanged?.();
      await answer(ctx, updated.enabled ? ctx.t("job-enabled-toast") : ctx.t("job-disabled-toast"));
    } catch (err) {
      await answer(ctx, errorText(ctx, err), true);
    }
    await showCard(ctx, deps, job.id);
  });

  return c;
}

/** The job with this id (from callback data), or null when it is gone. */
export function findJob(deps: BotDeps, id: number): JobView | null {
  return Number.isInteger(id) && deps.jobs.findRow(id) ? deps.jobs.get(id) : null;
}

async function showList(ctx: BotContext, deps: BotDeps, page: number): Promise<void> {
  const jobs = deps.jobs.list();
  if (jobs.length === 0) return show(ctx, ctx.t("jobs-empty"));
  await show(ctx, ctx.t("jobs-title", { count: jobs.length }), jobListKeyboard(jobs, page));
}

async function showCard(ctx: BotContext, deps: BotDeps, id: number): Promise<void> {
  const job = findJob(deps, id);
  if (!job) return show(ctx, ctx.t("error-not-found"));
  const card = jobCard(ctx.t, deps, job, await localeOf(ctx));
  await show(ctx, card.text, card.keyboard);
}

/** The job card's text and buttons (also shown again by the edit dialog after a change). */
export function jobCard(t: TranslateFunction, deps: BotDeps, job: JobView, locale: string): { text: string; keyboard: InlineKeyboard } {
  const source = deps.sources.findRow(job.sourceId);
  const extras: string[] = [];
  const hookCount = (list?: readonly unknown[]) => list?.length ?? 0;
  if (hookCount(job.hooks.before) + hookCount(job.hooks.after) + hookCount(job.hooks.on_failure) > 0) {
    extras.push(t("job-card-hooks", { before: hookCount(job.hooks.before), after: hookCount(job.hooks.after), onFailure: hookCount(job.hooks.on_failure) }));
  }
  if (job.ping || job.webhook) {
    extras.push(t("job-card-monitoring", { ping: job.ping ? t("job-card-set") : "—", webhook: job.webhook ? t("job-card-set") : "—" }));
  }
  const card = t("job-card", {
    job: job.name,
    state: job.enabled ? t("job-state-enabled") : t("job-state-disabled"),
    source: job.source,
    kind: source?.kind ?? "?",
    destinations: job.destinations.join(", "),
    schedule: job.schedule,
    timezone: jobTimezone(deps, job),
    next: nextRunText(t, deps, job, locale),
    last: lastRunText(t, deps, job, locale),
    format: formatText(t, job.format),
    compression: t(`conv-compression-${job.compression}`),
    encryption: encryptionText(t, job),
    partSize: formatBytes(job.part_size, speakerOf(t, locale)),
  });
  // Restore drills (issue 14): the drill schedule and the last proven restore.
  const drillSchedule = deps.jobs.findRow(job.id)?.drill?.schedule;
  extras.push(drillSchedule ? t("drill-card-line", { schedule: drillSchedule }) : t("drill-card-off"));
  const proven = deps.drills?.lastProven(job.id);
  extras.push(proven ? t("drill-last-proven", { date: proven.toISOString().slice(0, 16).replace("T", " ") + " UTC" }) : t("drill-never-proven"));
  const text = [card, ...extras].join("\n");
  const kb = jobCardKeyboard(t, job);
  if (deps.drills) kb.row().text(t("drill-button"), drillCb(job.id));
  // A run in progress (or waiting) can be stopped from the card too.
  const state = deps.jobStatus?.().find((s) => s.id === job.id)?.state;
  if (deps.stopRun && (state === "running" || state === "queued")) kb.row().text(t("btn-stop"), jobsCb.stop(job.id));
  return { text, keyboard: kb };
}
