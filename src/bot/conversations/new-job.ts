import type { Context } from "grammy";
import { DEFAULT_PART_SIZE } from "../../domain.js";
import { ValidationError, type Issue } from "../../services/errors.js";
import type { JobSpec } from "../../services/jobs.service.js";
import { DEFAULT_COMPRESSION, formatSize } from "../../services/validation.js";
import { formatRunTime } from "../format.js";
import { formatText, retentionText } from "../views.js";
import { Dialog, type Convo, type DialogArgs, type DialogEnv } from "./dialog.js";
import { askField, FIELDS, fieldOfIssue, formatsOf, telegramDestinations, type Draft, type Field } from "./job-steps.js";
import { routeText } from "./job-route.js";
import { cancelDialog, issuesText, reasonOf, revealSecret, rows } from "./steps.js";

/**
 * /newjob: source → destinations → name → time zone → schedule (preset or cron, with the next
 * three runs) → format → compression → encryption → part size → retention → where success and
 * failure messages go → review → create. The steps are job-steps.ts's, shared with the card's edits.
 */

type SaveResult = { kind: "saved"; name: string; next?: string } | { kind: "invalid"; issues: Issue[] } | { kind: "failed"; reason: string } | { kind: "lost" };

export function newJobConversation(env: DialogEnv) {
  return async function newJob(convo: Convo, ctx: Context, args?: DialogArgs): Promise<void> {
    const d = await Dialog.open(convo, ctx, env, args, "conv-dialog-new-job");
    const counts = await d.external(() => ({ sources: d.deps.sources.list().length, destinations: d.deps.destinations.list().length }));
    if (counts.sources === 0) return void (await d.say(d.t("conv-job-no-sources")));
    if (counts.destinations === 0) return void (await d.say(d.t("conv-job-no-destinations")));

    const draft: Draft = { notify: {} };
    // Restore drills are off by default: offered in the summary (a line and "Edit"), not asked on the way.
    for (const field of FIELDS) if (field !== "drill") await askField(d, draft, field);

    for (;;) {
      const lines = [summary(d, draft), draft.drill ? d.t("conv-summary-drill-on") : d.t("conv-summary-drill-off")];
      const plainTo = draft.encryption?.kind === "passphrase" || draft.encryption?.kind === "recipients" ? [] : await telegramDestinations(d, draft.destinations ?? []);
      if (plainTo.length > 0) lines.push(d.t("job-summary-plain-telegram", { destinations: plainTo.join(", ") }));
      const choice = await d.choose(lines.join("\n"), [
        [{ value: "create", label: d.t("conv-btn-create") }],
        [
          { value: "edit", label: d.t("conv-btn-edit") },
          { value: "cancel", label: d.t("conv-btn-cancel") },
        ],
      ]);
      if (choice === "cancel") return cancelDialog(d);
      if (choice === "edit") {
        await editSomething(d, draft);
        continue;
      }
      const saved = await d.external(() => saveJob(d, draft));
      if (saved.kind === "saved") {
        await d.forgetSecrets();
        await d.say(d.t("conv-job-created", { name: saved.name, next: saved.next ?? "—" }));
        return;
      }
      if (saved.kind === "lost") {
        await d.say(d.t("conv-secret-lost"));
        await askField(d, draft, "encryption");
      } else if (saved.kind === "invalid") {
        await d.say(d.t("conv-save-refused", { issues: issuesText(d, saved.issues) }));
        const fields = [...new Set(saved.issues.map((i) => fieldOfIssue(i)).filter((f): f is Field => f !== undefined))];
        if (fields.length === 0) await editSomething(d, draft);
        for (const f of fields) await askField(d, draft, f);
      } else {
        await d.say(d.t("conv-save-failed", { reason: saved.reason }));
      }
    }
  };
}

async function editSomething(d: Dialog, draft: Draft): Promise<void> {
  const fields = FIELDS.filter((f) => f !== "format" || formatsOf(draft).length > 1);
  const field = (await d.choose(
    d.t("conv-edit-which"),
    rows(
      fields.map((f) => ({ value: f, label: d.t(`conv-job-field-${f}`) })),
      2,
    ),
  )) as Field;
  await askField(d, draft, field);
  if (field === "timezone") await askField(d, draft, "schedule"); // show the next runs in the new zone
  if (field === "source" && !draft.format) await askField(d, draft, "format"); // the old format does not fit the new kind
}

function summary(d: Dialog, draft: Draft): string {
  const enc = draft.encryption ?? { kind: "none" };
  const encryption =
    enc.kind === "recipients"
      ? d.t("conv-summary-enc-recipients", { n: enc.recipients.length })
      : d.t(enc.kind === "passphrase" ? "conv-summary-enc-passphrase" : "conv-summary-enc-none");
  const retention = retentionText(d.t.bind(d), draft.retention ?? {}, d.t("conv-summary-keep-all"));
  return d.t("conv-job-summary", {
    name: draft.name ?? "",
    source: draft.source?.name ?? "",
    destinations: (draft.destinations ?? []).join(", "),
    schedule: draft.schedule ?? "",
    timezone: draft.timezone ?? d.t("conv-summary-tz-default", { tz: d.deps.defaultTimezone }),
    format: draft.format ? formatText(d.t.bind(d), draft.format) : "",
    compression: draft.compression ?? DEFAULT_COMPRESSION,
    encryption,
    partSize: String(formatSize(draft.partSize ?? DEFAULT_PART_SIZE)),
    retention,
    success: routeText(d, draft.notify.success),
    failure: routeText(d, draft.notify.failure),
  });
}

/** Creates the job through the service; the passphrase comes from the vault. Call only inside `external`. */
function saveJob(d: Dialog, draft: Draft): SaveResult {
  const spec: JobSpec = {
    name: draft.name ?? "",
    source: draft.source?.name ?? "",
    destinations: draft.destinations ?? [],
    schedule: draft.schedule ?? "",
    timezone: draft.timezone ?? null,
    compression: draft.compression ?? DEFAULT_COMPRESSION,
    part_size: draft.partSize ?? DEFAULT_PART_SIZE,
    retention: draft.retention ?? {},
    enabled: true,
  };
  if (draft.format) spec.format = draft.format;
  if (draft.notify.success || draft.notify.failure) spec.notify = { ...draft.notify };
  if (draft.drill) spec.drill = { schedule: draft.drill };
  const enc = draft.encryption ?? { kind: "none" };
  let secret: string | null = null;
  if (enc.kind === "recipients") spec.encryption = { recipients: enc.recipients };
  else if (enc.kind === "passphrase") {
    const value = revealSecret(d, enc.passphrase);
    if (value === undefined) return { kind: "lost" };
    secret = value;
    if (value !== null) spec.encryption = { passphrase: value };
  }
  try {
    const view = d.deps.jobs.create(spec);
    d.deps.jobsChanged?.();
    let next: string | undefined;
    try {
      const zone = view.timezone ?? d.deps.defaultTimezone;
      const first = d.deps.nextRuns({ schedule: view.schedule, timezone: view.timezone }, 1)[0];
      if (first) next = formatRunTime(first, d.locale, zone);
    } catch {
      // the service accepted the schedule; a display problem is not worth failing over
    }
    return { kind: "saved", name: view.name, ...(next ? { next } : {}) };
  } catch (err) {
    if (err instanceof ValidationError) return { kind: "invalid", issues: err.issues };
    const reason = reasonOf(d, err, [secret]);
    d.deps.log.error({ err: reason }, "saving a job from the bot failed");
    return { kind: "failed", reason };
  }
}
