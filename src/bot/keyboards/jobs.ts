import type { TranslateFunction } from "@grammyjs/i18n";
import { InlineKeyboard } from "grammy";
import type { JobView } from "../../services/jobs.service.js";
import { addPager, cb, pageOf } from "./common.js";
import { runsCb } from "./runs.js";

export const jobsCb = {
  list: (page: number) => cb("jobs", page),
  /** The /runnow picker's pages. */
  runList: (page: number) => cb("jobs", "run", page),
  open: (id: number) => cb("job", "o", id),
  run: (id: number) => cb("job", "r", id),
  toggle: (id: number) => cb("job", "e", id),
  /** ✏️ Edit: the edit dialog (conversations/edit-job.ts), asking which setting to change. */
  edit: (id: number) => cb("job", "ed", id),
  /** "🕒 Edit schedule" and "📮 Edit destinations": the edit dialog, straight at that step. */
  schedule: (id: number) => cb("job", "s", id),
  dests: (id: number) => cb("job", "t", id),
  del: (id: number) => cb("job", "d", id),
  delConfirm: (id: number) => cb("job", "D", id),
  /** ⏹ Stop the job's running (or queued) run. */
  stop: (id: number) => cb("job", "x", id),
};

export const jobsPattern = {
  list: /^jobs:(\d+)$/,
  runList: /^jobs:run:(\d+)$/,
  open: /^job:o:(\d+)$/,
  run: /^job:r:(\d+)$/,
  toggle: /^job:e:(\d+)$/,
  edit: /^job:ed:(\d+)$/,
  schedule: /^job:s:(\d+)$/,
  dests: /^job:t:(\d+)$/,
  del: /^job:d:(\d+)$/,
  delConfirm: /^job:D:(\d+)$/,
  stop: /^job:x:(\d+)$/,
};

/** One button per job (`open` says what pressing it does), paginated (`turn` builds the page buttons). */
export function jobListKeyboard(
  jobs: readonly JobView[],
  page: number,
  open: (id: number) => string = jobsCb.open,
  turn: (page: number) => string = jobsCb.list,
): InlineKeyboard {
  const p = pageOf(jobs, page);
  const kb = new InlineKeyboard();
  for (const job of p.items) kb.text(`${job.enabled ? "🗂" : "⏸"} ${job.name}`, open(job.id)).row();
  return addPager(kb, p.page, p.pages, turn);
}

export function jobCardKeyboard(t: TranslateFunction, job: JobView): InlineKeyboard {
  return new InlineKeyboard()
    .text(t("job-btn-run"), jobsCb.run(job.id))
    .text(job.enabled ? t("job-btn-disable") : t("job-btn-enable"), jobsCb.toggle(job.id))
    .row()
    .text(t("job-btn-edit"), jobsCb.edit(job.id))
    .row()
    .text(t("job-btn-schedule"), jobsCb.schedule(job.id))
    .text(t("job-btn-destinations"), jobsCb.dests(job.id))
    .row()
    .text(t("job-btn-history"), runsCb.page(job.id, 0))
    .text(t("job-btn-delete"), jobsCb.del(job.id))
    .row()
    .text(t("btn-back-list"), jobsCb.list(0));
}

export function confirmDeleteKeyboard(t: TranslateFunction, yes: string, no: string): InlineKeyboard {
  return new InlineKeyboard().text(t("btn-delete-yes"), yes).text(t("btn-delete-no"), no);
}

export function backToJobKeyboard(t: TranslateFunction, jobId: number): InlineKeyboard {
  return new InlineKeyboard().text(t("btn-open-job"), jobsCb.open(jobId)).text(t("btn-history"), runsCb.page(jobId, 0));
}
