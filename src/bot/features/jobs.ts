import { Composer } from "grammy";
import { ValidationError } from "../../services/errors.js";
import type { JobView } from "../../services/jobs.service.js";
import type { BotContext } from "../context.js";
import { JobBusyError, type BotDeps } from "../deps.js";
import { formatBytes } from "../../shared/format.js";
import { clip, formatTime } from "../format.js";
import { answer, commandArg, errorText, localeOf, num, show } from "../helpers.js";
import {
  backToJobKeyboard,
  confirmDeleteKeyboard,
  jobCardKeyboard,
  jobDestinationsKeyboard,
  jobListKeyboard,
  jobsCb,
  jobsPattern,
  SCHEDULE_PRESETS,
  scheduleKeyboard,
} from "../keyboards/jobs.js";
import { backupProgressText, backupResultText, LiveMessage } from "../progress.js";
import type { BackgroundTasks } from "../tasks.js";
import { encryptionText, jobTimezone, lastRunText, nextRunText } from "../views.js";

/** /jobs, /runnow and the job card: run now, enable/disable, schedule, destinations, delete. */
export function jobsFeature(deps: BotDeps, tasks: BackgroundTasks): Composer<BotContext> {
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

  c.command("runnow", async (ctx) => {
    const arg = commandArg(ctx);
    if (!arg) {
      const jobs = deps.jobs.list();
      if (jobs.length === 0) return void (await ctx.reply(ctx.t("jobs-empty")));
      await ctx.reply(ctx.t("runnow-pick"), { reply_markup: jobListKeyboard(jobs, 0, jobsCb.run, jobsCb.runList) });
      return;
    }
    const row = deps.jobs.findRow(arg);
    if (!row) return void (await ctx.reply(ctx.t("jobs-unknown", { name: clip(arg, 64) })));
    await startRun(ctx, deps, tasks, row.id, row.name);
  });

  c.callbackQuery(jobsPattern.runList, async (ctx) => {
    await answer(ctx);
    await show(ctx, ctx.t("runnow-pick"), jobListKeyboard(deps.jobs.list(), num(ctx.match), jobsCb.run, jobsCb.runList));
  });

  c.callbackQuery(jobsPattern.run, async (ctx) => {
    const job = find(deps, num(ctx.match));
    if (!job) return void (await answer(ctx, ctx.t("error-not-found")));
    await answer(ctx, ctx.t("runnow-started-toast"));
    await startRun(ctx, deps, tasks, job.id, job.name);
  });

  c.callbackQuery(jobsPattern.toggle, async (ctx) => {
    const job = find(deps, num(ctx.match));
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

  // ------------------------------------------------------------ schedule
  c.callbackQuery(jobsPattern.schedule, async (ctx) => {
    await answer(ctx);
    const job = find(deps, num(ctx.match));
    if (!job) return void (await show(ctx, ctx.t("error-not-found")));
    ctx.session.prompt = { kind: "schedule", jobId: job.id };
    await show(ctx, ctx.t("schedule-prompt", { job: job.name, schedule: job.schedule, timezone: jobTimezone(deps, job) }), scheduleKeyboard(ctx.t, job.id));
  });

  c.callbackQuery(jobsPattern.preset, async (ctx) => {
    await answer(ctx);
    const schedule = SCHEDULE_PRESETS[num(ctx.match, 2)];
    if (schedule === undefined) return;
    if (ctx.session.prompt?.kind === "schedule") delete ctx.session.prompt;
    await saveSchedule(ctx, deps, num(ctx.match), schedule);
  });

  c.on("message:text").filter(
    (ctx) => ctx.session.prompt?.kind === "schedule",
    async (ctx) => {
      const prompt = ctx.session.prompt;
      if (prompt?.kind !== "schedule") return;
      const ok = await saveSchedule(ctx, deps, prompt.jobId, ctx.message.text.trim());
      if (ok) delete ctx.session.prompt;
    },
  );

  // ------------------------------------------------------------ destinations
  c.callbackQuery(jobsPattern.dests, async (ctx) => {
    await answer(ctx);
    await showDestinations(ctx, deps, num(ctx.match));
  });

  c.callbackQuery(jobsPattern.toggleDest, async (ctx) => {
    const job = find(deps, num(ctx.match));
    const destId = num(ctx.match, 2);
    if (!job) return void (await answer(ctx, ctx.t("error-not-found")));
    const dest = deps.destinations.list().find((d) => d.id === destId);
    if (!dest) return void (await answer(ctx, ctx.t("error-not-found")));
    const on = job.destinationIds.includes(destId);
    const names = on ? job.destinations.filter((n) => n !== dest.name) : [...job.destinations, dest.name];
    if (names.length === 0) return void (await answer(ctx, ctx.t("job-dests-need-one"), true));
    try {
      deps.jobs.update(job.id, { destinations: names });
      deps.jobsChanged?.();
      await answer(ctx);
    } catch (err) {
      await answer(ctx, errorText(ctx, err), true);
    }
    await showDestinations(ctx, deps, job.id);
  });

  // ------------------------------------------------------------ delete
  c.callbackQuery(jobsPattern.del, async (ctx) => {
    await answer(ctx);
    const job = find(deps, num(ctx.match));
    if (!job) return void (await show(ctx, ctx.t("error-not-found")));
    await show(ctx, ctx.t("job-delete-confirm", { job: job.name }), confirmDeleteKeyboard(ctx.t, jobsCb.delConfirm(job.id), jobsCb.open(job.id)));
  });

  c.callbackQuery(jobsPattern.delConfirm, async (ctx) => {
    const job = find(deps, num(ctx.match));
    if (!job) {
      await answer(ctx);
      return void (await show(ctx, ctx.t("error-not-found")));
    }
    try {
      deps.jobs.delete(job.id);
      deps.jobsChanged?.();
      await answer(ctx, ctx.t("job-deleted-toast"));
      await show(ctx, ctx.t("job-deleted", { job: job.name }), jobListKeyboard(deps.jobs.list(), 0));
    } catch (err) {
      await answer(ctx);
      await show(ctx, errorText(ctx, err), backToJobKeyboard(ctx.t, job.id));
    }
  });

  return c;
}

function find(deps: BotDeps, id: number): JobView | null {
  return Number.isInteger(id) && deps.jobs.findRow(id) ? deps.jobs.get(id) : null;
}

async function showList(ctx: BotContext, deps: BotDeps, page: number): Promise<void> {
  const jobs = deps.jobs.list();
  if (jobs.length === 0) return show(ctx, ctx.t("jobs-empty"));
  await show(ctx, ctx.t("jobs-title", { count: jobs.length }), jobListKeyboard(jobs, page));
}

export async function showCard(ctx: BotContext, deps: BotDeps, id: number): Promise<void> {
  const job = find(deps, id);
  if (!job) return show(ctx, ctx.t("error-not-found"));
  const locale = await localeOf(ctx);
  const source = deps.sources.findRow(job.sourceId);
  const text = ctx.t("job-card", {
    job: job.name,
    state: job.enabled ? ctx.t("job-state-enabled") : ctx.t("job-state-disabled"),
    source: job.source,
    kind: source?.kind ?? "?",
    destinations: job.destinations.join(", "),
    schedule: job.schedule,
    timezone: jobTimezone(deps, job),
    next: nextRunText(ctx.t, deps, job, locale),
    last: lastRunText(ctx.t, deps, job, locale),
    format: job.format,
    compression: job.compression,
    encryption: encryptionText(ctx.t, job),
    partSize: formatBytes(job.part_size),
  });
  await show(ctx, text, jobCardKeyboard(ctx.t, job));
}

async function showDestinations(ctx: BotContext, deps: BotDeps, id: number): Promise<void> {
  const job = find(deps, id);
  if (!job) return show(ctx, ctx.t("error-not-found"));
  const all = deps.destinations.list().map((d) => ({ id: d.id, name: d.name }));
  await show(ctx, ctx.t("job-dests-title", { job: job.name }), jobDestinationsKeyboard(ctx.t, job, all));
}

/** Validates and stores a new schedule; answers with the next three run times. False when refused. */
async function saveSchedule(ctx: BotContext, deps: BotDeps, jobId: number, schedule: string): Promise<boolean> {
  const job = find(deps, jobId);
  if (!job) {
    await ctx.reply(ctx.t("error-not-found"));
    return true;
  }
  let next: Date[];
  try {
    next = deps.nextRuns({ schedule, timezone: job.timezone }, 3);
    if (next.length === 0) throw new Error(ctx.t("schedule-never"));
    deps.jobs.update(job.id, { schedule });
  } catch (err) {
    const reason = err instanceof ValidationError ? err.issues.map((i) => i.message).join("; ") : (err as Error).message;
    await ctx.reply(ctx.t("schedule-invalid", { schedule: clip(schedule, 100), reason: clip(reason, 300) }));
    return false;
  }
  deps.jobsChanged?.();
  const locale = await localeOf(ctx);
  const tz = jobTimezone(deps, job);
  await ctx.reply(
    ctx.t("schedule-saved", { job: job.name, schedule, timezone: tz, next: next.map((d) => `• ${formatTime(d, locale, tz)}`).join("\n") }),
    { reply_markup: backToJobKeyboard(ctx.t, job.id) },
  );
  return true;
}

/**
 * Posts a progress message and runs the job in the background (the chat stays usable);
 * the message is edited as the run advances and ends with the result.
 */
async function startRun(ctx: BotContext, deps: BotDeps, tasks: BackgroundTasks, jobId: number, jobName: string): Promise<void> {
  const t = ctx.t;
  const first = backupProgressText(t, jobName, null);
  const msg = await ctx.reply(first);
  const live = new LiveMessage(ctx.api, msg.chat.id, msg.message_id, first, { intervalMs: deps.progressIntervalMs, log: deps.log });
  tasks.start(`run ${jobName}`, async () => {
    try {
      let recorded = false;
      const result = await deps.runJob(jobId, "manual", (p) => {
        // Recorded with the run, so start-up recovery can finalize the message after a crash.
        if (!recorded) deps.runs.setProgressMessage(p.runId, msg.chat.id, msg.message_id);
        recorded = true;
        live.update(backupProgressText(t, jobName, p));
      });
      await live.finish(backupResultText(t, result), backToJobKeyboard(t, jobId));
    } catch (err) {
      if (err instanceof JobBusyError) {
        await live.finish(err.state === "stopped" ? t("runnow-stopping", { job: jobName }) : t("runnow-busy", { job: jobName }));
        return;
      }
      deps.log.error({ err, job: jobName }, "bot: run now failed");
      await live.finish(t("progress-error", { job: jobName, reason: clip((err as Error).message ?? String(err), 500) }));
    }
  });
}
