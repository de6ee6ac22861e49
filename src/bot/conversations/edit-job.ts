import type { TranslateFunction } from "@grammyjs/i18n";
import { createConversation } from "@grammyjs/conversations";
import type { Bot, Context } from "grammy";
import type { InlineKeyboardMarkup } from "grammy/types";
import { ValidationError, type Issue } from "../../services/errors.js";
import type { JobSpec, JobView } from "../../services/jobs.service.js";
import { formatSize } from "../../services/validation.js";
import type { BotContext } from "../context.js";
import { findJob, jobCard } from "../features/jobs/card.js";
import { clip } from "../format.js";
import { formatText, retentionText } from "../views.js";
import { answer, num } from "../helpers.js";
import { jobsPattern } from "../keyboards/jobs.js";
import { localeOf } from "../locale.js";
import { Dialog, type Convo, type DialogArgs, type DialogEnv } from "./dialog.js";
import { routeText } from "./job-route.js";
import { askField, FIELDS, fieldOfIssue, formatsOf, type Draft, type EncryptionChoice, type Field } from "./job-steps.js";
import { issuesText, reasonOf, revealSecret, rows } from "./steps.js";

/**
 * The job card's "✏️ Edit": which setting (each button shows its current value) → the very step
 * /newjob asks (job-steps.ts) → saved through `JobsService.update`, with the same checks as
 * creation → what changed → the card again, with the new values.
 */

export const EDIT_JOB = "edit-job";

export interface EditJobArgs extends DialogArgs {
  jobId: number;
  /** The setting to change (the card's "🕒 Edit schedule", "📮 Edit destinations"); absent: ask which. */
  field?: Field;
}

/** A job as the dialog starts from: the draft the steps edit, and each setting as shown on its button (JSON). */
interface Loaded {
  name: string;
  draft: Draft;
  values: Partial<Record<Field, string>>;
  /** The stored drill settings with its identity masked (an edit of the schedule keeps the identity). */
  drill: { schedule?: string; identity?: string };
  encryption: "none" | "recipients" | "passphrase";
  /** The age public keys, when the job encrypts to keys (a new list of as many keys looks the same on a button). */
  recipients: string[];
}

type Saved = { kind: "saved"; after: Loaded; telegram: string[] } | { kind: "invalid"; issues: Issue[] } | { kind: "failed"; reason: string } | { kind: "lost" } | { kind: "gone" };

/** Installs the dialog and the card's buttons that start it: "✏️ Edit settings", and the schedule and destinations straight away. */
export function registerEditJob(bot: Bot<BotContext>, env: DialogEnv): void {
  bot.use(createConversation(editJobConversation(env), EDIT_JOB));
  const enter = (field?: Field) => async (ctx: BotContext) => {
    await answer(ctx);
    await ctx.conversation.exitAll();
    const args: EditJobArgs = { locale: await localeOf(ctx), jobId: num(ctx.match), ...(field ? { field } : {}) };
    await ctx.conversation.enter(EDIT_JOB, args);
  };
  bot.callbackQuery(jobsPattern.edit, enter());
  bot.callbackQuery(jobsPattern.schedule, enter("schedule"));
  bot.callbackQuery(jobsPattern.dests, enter("destinations"));
}

export function editJobConversation(env: DialogEnv) {
  return async function editJob(convo: Convo, ctx: Context, args?: EditJobArgs): Promise<void> {
    const d = await Dialog.open(convo, ctx, env, args, "job-edit-dialog");
    const jobId = args?.jobId ?? -1;
    const before = await d.external(() => load(d, jobId));
    if (!before) return void (await d.say(d.t("error-not-found")));

    const picked = args?.field ?? (await pickField(d, before));
    if (picked === "back") return showCard(d, jobId);

    const draft: Draft = structuredClone(before.draft);
    let asked = [picked];
    for (;;) {
      for (const f of asked) await askField(d, draft, f, before.name);
      // A new source whose kind the old format does not fit: its format is asked next.
      if (asked.includes("source") && !draft.format) await askField(d, draft, "format");
      const saved = await d.external(() => save(d, jobId, draft, before));
      // Whatever ends the dialog forgets the passphrase it held; a refusal asks again and keeps it.
      if (saved.kind === "saved" || saved.kind === "gone" || saved.kind === "failed") await d.forgetSecrets();
      if (saved.kind === "saved") {
        await d.say(changesText(d, before, saved.after, draft.encryption?.kind, saved.telegram));
        return showCard(d, jobId);
      }
      if (saved.kind === "gone") return void (await d.say(d.t("error-not-found")));
      if (saved.kind === "failed") {
        await d.say(d.t("conv-save-failed", { reason: saved.reason }));
        return showCard(d, jobId);
      }
      if (saved.kind === "lost") {
        await d.say(d.t("conv-secret-lost"));
        asked = ["encryption"];
        continue;
      }
      await d.say(d.t("conv-save-refused", { issues: issuesText(d, saved.issues) }));
      const fields = [...new Set(saved.issues.map((i) => fieldOfIssue(i)).filter((f): f is Field => f !== undefined))];
      if (fields.length === 0) {
        await d.forgetSecrets();
        return showCard(d, jobId);
      }
      asked = fields;
    }
  };
}

/** "Which setting do you want to change?", each button with its current value; "back" for the card. */
async function pickField(d: Dialog, before: Loaded): Promise<Field | "back"> {
  const offered = FIELDS.filter((f) => before.values[f] !== undefined);
  const picked = await d.choose(d.t("conv-edit-which"), [
    ...rows(
      offered.map((f) => ({ value: f, label: clip(d.t("job-edit-btn", { field: d.t(`conv-job-field-${f}`), value: before.values[f]! }), 60) })),
      2,
    ),
    [{ value: "back", label: d.t("btn-back") }],
  ]);
  return picked as Field | "back";
}

/** The job as the dialog starts from, or null when it is gone. Call only inside `external`. */
function load(d: Dialog, jobId: number): Loaded | null {
  const job = findJob(d.deps, jobId);
  const row = job ? d.deps.jobs.findRow(job.id) : null;
  if (!job || !row) return null;
  const kind = d.deps.sources.findRow(job.sourceId)?.kind;
  const draft: Draft = {
    ...(kind ? { source: { name: job.source, kind } } : {}),
    destinations: [...job.destinations],
    name: job.name,
    timezone: job.timezone,
    schedule: job.schedule,
    format: job.format,
    compression: job.compression,
    partSize: job.part_size,
    retention: { ...job.retention },
    ...(row.drill.schedule ? { drill: row.drill.schedule } : {}),
    notify: { ...job.notify },
  };
  const drill = d.deps.jobs.toSpec(row, "keep").drill ?? {};
  const encryption = !job.encryption ? "none" : "recipients" in job.encryption ? "recipients" : "passphrase";
  const recipients = job.encryption && "recipients" in job.encryption ? [...job.encryption.recipients] : [];
  return { name: job.name, draft, values: valuesOf(d, job, draft), drill, encryption, recipients };
}

/** Each setting as its button shows it ("Part size: 19MiB"); the format only when the source has a choice. */
function valuesOf(d: Dialog, job: JobView, draft: Draft): Partial<Record<Field, string>> {
  const enc = job.encryption;
  return {
    source: job.source,
    destinations: job.destinations.length > 2 ? String(job.destinations.length) : job.destinations.join(", "),
    name: job.name,
    timezone: job.timezone ?? d.t("conv-summary-tz-default", { tz: d.deps.defaultTimezone }),
    schedule: job.schedule,
    ...(formatsOf(draft).length > 1 ? { format: formatText(d.t.bind(d), job.format) } : {}),
    compression: d.t(`conv-compression-${job.compression}`),
    encryption: !enc ? d.t("conv-summary-enc-none") : "recipients" in enc ? d.t("job-edit-enc-keys", { n: enc.recipients.length }) : d.t("job-edit-enc-passphrase"),
    partSize: String(formatSize(job.part_size)),
    retention: retentionText(d.t.bind(d), job.retention, d.t("conv-summary-keep-all")),
    drill: draft.drill === "weekly" ? d.t("conv-drill-weekly") : (draft.drill ?? d.t("conv-drill-off")),
    notifySuccess: routeText(d, job.notify.success),
    notifyFailure: routeText(d, job.notify.failure),
  };
}

/** The settings the draft changes, as a patch for `JobsService.update`; "lost" when the vault lost the passphrase. */
function patchOf(d: Dialog, draft: Draft, before: Loaded): { patch: Partial<JobSpec>; secret: string | null } | "lost" {
  const was = before.draft;
  const patch: Partial<JobSpec> = {};
  const changed = (a: unknown, b: unknown) => JSON.stringify(a ?? null) !== JSON.stringify(b ?? null);
  if (draft.source && draft.source.name !== was.source?.name) patch.source = draft.source.name;
  if (changed(draft.destinations, was.destinations)) patch.destinations = draft.destinations ?? [];
  if (draft.name && draft.name !== was.name) patch.name = draft.name;
  if (changed(draft.timezone, was.timezone)) patch.timezone = draft.timezone ?? null;
  if (draft.schedule && draft.schedule !== was.schedule) patch.schedule = draft.schedule;
  if (draft.format && (draft.format !== was.format || patch.source)) patch.format = draft.format;
  if (draft.compression !== was.compression && draft.compression) patch.compression = draft.compression;
  if (draft.partSize !== undefined && draft.partSize !== was.partSize) patch.part_size = draft.partSize;
  if (changed(draft.retention, was.retention)) patch.retention = draft.retention ?? {};
  if (changed(draft.drill, was.drill)) {
    const { schedule: _old, ...rest } = before.drill;
    patch.drill = { ...rest, ...(draft.drill ? { schedule: draft.drill } : {}) };
  }
  if (changed(draft.notify, was.notify)) patch.notify = { ...draft.notify };
  let secret: string | null = null;
  const enc = draft.encryption;
  if (enc?.kind === "none") patch.encryption = null;
  else if (enc?.kind === "recipients") patch.encryption = { recipients: enc.recipients };
  else if (enc?.kind === "passphrase") {
    const value = revealSecret(d, enc.passphrase);
    if (value === undefined) return "lost";
    secret = value;
    if (value !== null) patch.encryption = { passphrase: value };
  }
  return { patch, secret };
}

/** Saves the edit through the service (the same rules as creation). Call only inside `external`. */
function save(d: Dialog, jobId: number, draft: Draft, before: Loaded): Saved {
  const made = patchOf(d, draft, before);
  if (made === "lost") return { kind: "lost" };
  try {
    d.deps.jobs.update(jobId, made.patch);
    d.deps.jobsChanged?.();
  } catch (err) {
    if (err instanceof ValidationError) return { kind: "invalid", issues: err.issues };
    if (!findJob(d.deps, jobId)) return { kind: "gone" };
    const reason = reasonOf(d, err, [made.secret]);
    d.deps.log.error({ err: reason }, "editing a job from the bot failed");
    return { kind: "failed", reason };
  }
  const after = load(d, jobId);
  if (!after) return { kind: "gone" };
  const telegram = after.encryption === "none" ? d.deps.destinations.list().filter((x) => x.kind === "telegram" && after.draft.destinations?.includes(x.name)).map((x) => x.name) : [];
  return { kind: "saved", after, telegram };
}

/** "Changed: Part size 19MiB → 49MiB", what a new key or passphrase means for the backups already made, and the plain-to-Telegram warning. */
function changesText(d: Dialog, before: Loaded, after: Loaded, encrypted: EncryptionChoice["kind"] | undefined, telegram: string[]): string {
  const lines: string[] = [];
  for (const f of FIELDS) {
    const a = before.values[f];
    const b = after.values[f];
    if (b !== undefined && a !== b) lines.push(d.t("job-edit-changed-line", { field: d.t(`conv-job-field-${f}`), before: a ?? "—", after: b }));
  }
  // A new passphrase or new keys look the same on a button ("passphrase", "age (2 keys)"): say so.
  const sameKeys = encrypted === "recipients" && before.recipients.join(" ") === after.recipients.join(" ");
  const renewed = encrypted !== undefined && encrypted !== "none" && !sameKeys && before.values.encryption === after.values.encryption;
  if (renewed) lines.push(d.t(encrypted === "passphrase" ? "job-edit-passphrase-changed" : "job-edit-keys-changed"));
  const head = lines.length > 0 ? d.t("job-edit-saved", { job: after.name }) : d.t("job-edit-nothing", { job: after.name });
  // The backups already made keep what they were encrypted with: say what restoring them takes.
  const encryptionChanged = renewed || before.values.encryption !== after.values.encryption;
  const notes: string[] = [];
  if (encryptionChanged && before.encryption === "passphrase") notes.push(d.t("job-edit-old-passphrase-kept"));
  if (encryptionChanged && before.encryption === "recipients") notes.push(d.t("job-edit-old-keys-needed"));
  if (telegram.length > 0) notes.push(d.t("job-summary-plain-telegram", { destinations: telegram.join(", ") }));
  return [head, ...lines, ...notes.map((n) => `\n${n}`)].join("\n");
}

/** The job card again, as a new message under the dialog, with its own buttons. */
async function showCard(d: Dialog, jobId: number): Promise<void> {
  const t = ((key: string, params?: Record<string, string | number>) => d.t(key, params)) as TranslateFunction;
  const card = await d.external(() => {
    const job = findJob(d.deps, jobId);
    if (!job) return null;
    const c = jobCard(t, d.deps, job, d.locale);
    const markup: InlineKeyboardMarkup = { inline_keyboard: c.keyboard.inline_keyboard };
    return { text: c.text, markup };
  });
  if (!card) return void (await d.say(d.t("error-not-found")));
  await d.ctx.api.sendMessage(d.chatId, card.text, { reply_markup: card.markup });
}
