import type { Context } from "grammy";
import { DEFAULT_PART_SIZE, type ChatRoute, type Compression, type NotifyRoutes, type Retention } from "../../domain.js";
import { ValidationError, type Issue } from "../../services/errors.js";
import { formatsOf as kindFormats } from "../../services/job-rules.js";
import type { JobSpec } from "../../services/jobs.service.js";
import {
  checkTimezone,
  COMPRESSIONS,
  DEFAULT_COMPRESSION,
  formatSize,
  parsePartSize,
  showBytes,
} from "../../services/validation.js";
import type { DumpFormat, SourceKind } from "../../sources/port.js";
import { Dialog, type Answer, type Choice, type Convo, type DialogArgs, type DialogEnv } from "./dialog.js";
import { formatRunTime } from "../format.js";
import { bullets, presetByValue, presetRows, previewRuns, readSchedule } from "../schedule-step.js";
import { formatRetention, readRecipients, readRetention, RETENTION_PRESETS, slugName } from "./parse.js";
import { askChat, askName, askSecret, askThread, cancelDialog, explain, issuesText, reasonOf, revealSecret, rows, type SecretSlot } from "./steps.js";

/**
 * /newjob: source → destinations → name → time zone → schedule (preset or cron, with the next
 * three runs) → format → compression → encryption → part size → retention → where success and
 * failure messages go → review → create.
 */

type Field =
  | "source"
  | "destinations"
  | "name"
  | "timezone"
  | "schedule"
  | "format"
  | "compression"
  | "encryption"
  | "partSize"
  | "retention"
  | "drill"
  | "notifySuccess"
  | "notifyFailure";

const FIELDS: readonly Field[] = [
  "source",
  "destinations",
  "name",
  "timezone",
  "schedule",
  "format",
  "compression",
  "encryption",
  "partSize",
  "retention",
  "drill",
  "notifySuccess",
  "notifyFailure",
];

/** Which field a service issue path (`schedule`, `encryption.recipients[0]`, `notify.success.chat_id`) belongs to. */
const FIELD_OF_PATH: Record<string, Field> = {
  source: "source",
  destinations: "destinations",
  name: "name",
  timezone: "timezone",
  schedule: "schedule",
  format: "format",
  compression: "compression",
  encryption: "encryption",
  part_size: "partSize",
  retention: "retention",
  drill: "drill",
};

type EncryptionChoice = { kind: "none" } | { kind: "recipients"; recipients: string[] } | { kind: "passphrase"; passphrase: SecretSlot };

interface Draft {
  source?: { name: string; kind: SourceKind };
  destinations?: string[];
  name?: string;
  /** null: the app's default time zone (TZ). */
  timezone?: string | null;
  schedule?: string;
  format?: DumpFormat;
  compression?: Compression;
  encryption?: EncryptionChoice;
  partSize?: number;
  retention?: Retention;
  /** Restore drill schedule (`weekly`), or none (issue 14). */
  drill?: string;
  notify: NotifyRoutes;
}

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
      const drillLine = draft.drill ? d.t("conv-summary-drill-on") : d.t("conv-summary-drill-off");
      const choice = await d.choose(`${summary(d, draft)}\n${drillLine}`, [
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

function fieldOfIssue(issue: Issue): Field | undefined {
  const head = issue.path.split(/[.[]/)[0] ?? "";
  if (head === "notify") return issue.path.startsWith("notify.failure") ? "notifyFailure" : "notifySuccess";
  return FIELD_OF_PATH[head];
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

function formatsOf(draft: Draft): readonly DumpFormat[] {
  return draft.source ? kindFormats(draft.source.kind) : [];
}

async function askField(d: Dialog, draft: Draft, field: Field): Promise<void> {
  switch (field) {
    case "source": {
      const sources = await d.external(() => d.deps.sources.list().map((s) => ({ name: s.name, kind: s.kind })));
      const picked = await d.choose(
        d.t("conv-job-source"),
        sources.map((s, i) => [{ value: String(i), label: `${s.name} · ${d.t(`conv-src-kind-${s.kind}`)}` }]),
      );
      draft.source = sources[Number(picked)]!;
      if (draft.format && !formatsOf(draft).includes(draft.format)) delete draft.format;
      return;
    }
    case "destinations": {
      const all = await d.external(() => d.deps.destinations.list().map((x) => ({ name: x.name, kind: x.kind })));
      draft.destinations = await d.multiSelect(
        d.t("conv-job-destinations"),
        all.map((x) => ({ value: x.name, label: `${x.name} · ${d.t(`conv-dest-kind-${x.kind}`)}` })),
        1,
        draft.destinations ?? [],
      );
      return;
    }
    case "name": {
      const base = slugName(`${draft.source?.name ?? "job"}-backup`);
      const suggestion = base
        ? await d.external(() => (d.deps.jobs.getByName(base) === null ? base : null))
        : null;
      draft.name = await askName(d, d.t("conv-job-name"), suggestion ?? undefined, (n) => d.deps.jobs.getByName(n) !== null, "conv-what-job");
      return;
    }
    case "timezone": {
      const def = d.deps.defaultTimezone;
      const choices: Choice[][] = [[{ value: "default", label: d.t("conv-btn-tz-default", { tz: def }) }]];
      if (def !== "UTC") choices.push([{ value: "UTC", label: "UTC" }]);
      draft.timezone = await d.askValid<string | null>(
        d.t("conv-job-timezone", { tz: def }),
        (a) => {
          if (a.kind === "button") return { ok: a.value === "default" ? null : a.value };
          const v = a.kind === "text" ? a.text.trim() : "";
          if (checkTimezone(v)) return { error: d.t("conv-err-timezone", { value: v }) };
          return { ok: new Intl.DateTimeFormat("en-US", { timeZone: v }).resolvedOptions().timeZone };
        },
        { text: true, choices },
      );
      return;
    }
    case "schedule":
      draft.schedule = await askSchedule(d, draft.timezone ?? null);
      return;
    case "format": {
      const formats = formatsOf(draft);
      if (formats.length <= 1) {
        draft.format = formats[0] ?? "sql";
        return;
      }
      draft.format = (await d.choose(
        d.t("conv-job-format"),
        formats.map((f) => [{ value: f, label: d.t(`conv-format-${f}`) }]),
      )) as DumpFormat;
      return;
    }
    case "compression":
      draft.compression = (await d.choose(
        d.t("conv-job-compression"),
        [COMPRESSIONS.map((c) => ({ value: c, label: d.t(`conv-compression-${c}`) }))],
      )) as Compression;
      return;
    case "encryption":
      draft.encryption = await askEncryption(d);
      return;
    case "partSize":
      draft.partSize = await d.askValid(
        d.t("conv-job-part-size", { size: String(formatSize(DEFAULT_PART_SIZE)) }),
        async (a) => {
          if (a.kind === "button") return { ok: DEFAULT_PART_SIZE };
          const parsed = parsePartSize(a.kind === "text" ? a.text.trim() : "");
          if ("error" in parsed) return { error: d.t("conv-err-part-size") };
          // The destinations are known by now: refuse parts they could never give back.
          const problem = await d.external(() => d.deps.jobs.partSizeProblem(parsed.value, draft.destinations ?? []));
          if (problem) return { error: d.t("conv-err-part-size-cloud", { size: showBytes(problem.partSize), destination: problem.destination }) };
          return { ok: parsed.value };
        },
        { text: true, choices: [[{ value: "default", label: d.t("conv-btn-use", { value: String(formatSize(DEFAULT_PART_SIZE)) }) }]] },
      );
      return;
    case "retention": {
      const picked = await d.choose(d.t("conv-job-retention"), [
        ...RETENTION_PRESETS.map((p) => [{ value: p.value, label: d.t(p.key) }]),
        [{ value: "custom", label: d.t("conv-retention-custom") }],
      ]);
      const preset = RETENTION_PRESETS.find((p) => p.value === picked);
      draft.retention = preset
        ? { ...preset.retention }
        : await d.askValid(d.t("conv-job-retention-custom"), (a) => explain(d, readRetention(a.kind === "text" ? a.text : "")));
      return;
    }
    case "drill": {
      // Restore drills (src/application/drill.ts): off by default; a cron schedule is for YAML.
      const picked = await d.choose(d.t("conv-job-drill"), [[{ value: "off", label: d.t("conv-drill-off") }], [{ value: "weekly", label: d.t("conv-drill-weekly") }]]);
      draft.drill = picked === "weekly" ? "weekly" : undefined;
      return;
    }
    case "notifySuccess":
    case "notifyFailure": {
      const key = field === "notifySuccess" ? "success" : "failure";
      const route = await askRoute(d, draft.name ?? "job", key);
      if (route) draft.notify[key] = route;
      else delete draft.notify[key];
      return;
    }
  }
}

/** The shared schedule step (presets or a typed cron expression), then the next three runs in the job's zone, to confirm. */
async function askSchedule(d: Dialog, timezone: string | null): Promise<string> {
  const zone = timezone ?? d.deps.defaultTimezone;
  const read = (a: Answer) => {
    const r = readSchedule(a.kind === "text" ? a.text : "", zone, { locale: d.locale, translate: d.deps.translate });
    return "ok" in r ? r : { error: d.t("conv-err-cron", { detail: r.error }) };
  };
  for (;;) {
    const choices: Choice[][] = [
      ...presetRows((key, params) => d.t(key, params), (p, label) => ({ value: p.value, label })),
      [{ value: "custom", label: d.t("conv-preset-custom") }],
    ];
    let cron = await d.askValid<string | null>(
      d.t("conv-job-schedule"),
      (a) => (a.kind === "button" ? { ok: presetByValue(a.value)?.cron ?? null } : read(a)),
      { text: true, choices },
    );
    cron ??= await d.askValid(d.t("conv-job-cron"), read);
    const expression = cron;
    // Recorded for replays as dialogs saved by earlier versions did: the lines, or { error }.
    const runs = await d.external(() => {
      const preview = previewRuns(d.deps, expression, zone, d.locale);
      return "ok" in preview ? preview.ok : preview;
    });
    if (!Array.isArray(runs)) {
      await d.say(d.t("conv-problem", { reason: d.t("conv-err-cron", { detail: runs.error }) }));
      continue;
    }
    const ok = await d.choose(
      d.t("conv-job-next-runs", { cron: expression, tz: zone, runs: runs.length > 0 ? bullets(runs) : "—" }),
      [
        [
          { value: "ok", label: d.t("conv-btn-ok") },
          { value: "change", label: d.t("conv-btn-change") },
        ],
      ],
    );
    if (ok === "ok") return expression;
  }
}

async function askEncryption(d: Dialog): Promise<EncryptionChoice> {
  const kind = await d.choose(d.t("conv-job-encryption"), [
    [{ value: "recipients", label: d.t("conv-enc-recipients") }],
    [{ value: "passphrase", label: d.t("conv-enc-passphrase") }],
    [{ value: "none", label: d.t("conv-enc-none") }],
  ]);
  if (kind === "recipients") {
    const recipients = await d.askValid(d.t("conv-job-recipients"), (a) => explain(d, readRecipients(a.kind === "text" ? a.text : "")));
    return { kind: "recipients", recipients };
  }
  if (kind === "passphrase") return { kind: "passphrase", passphrase: await askSecret(d, d.t("conv-job-passphrase"), "password") };
  return { kind: "none" };
}

/** Where success messages or failure alerts go: the destination chats, or another chat (+ topic), tested first. */
async function askRoute(d: Dialog, jobName: string, which: "success" | "failure"): Promise<ChatRoute | undefined> {
  const choice = await d.choose(d.t(which === "success" ? "conv-job-notify-success" : "conv-job-notify-failure"), [
    [{ value: "same", label: d.t("conv-notify-same") }],
    [{ value: "other", label: d.t("conv-notify-other") }],
  ]);
  if (choice === "same") return undefined;
  for (;;) {
    const chat = await askChat(d, d.t("conv-job-notify-chat"), [{ value: "same", label: d.t("conv-notify-same") }]);
    if ("button" in chat) return undefined;
    const thread = await askThread(d, d.t("conv-job-notify-thread"));
    const route: ChatRoute = { chat_id: chat.chatId, ...(thread !== undefined ? { thread_id: thread } : {}) };
    await d.say(d.t("conv-dest-testing-telegram", { target: chat.chatId }));
    const failure = await d.external(async () => {
      try {
        await d.deps.checkDestination({ kind: "telegram", name: jobName, chatId: route.chat_id, ...(route.thread_id ? { threadId: route.thread_id } : {}) });
        return null;
      } catch (err) {
        return reasonOf(d, err, []);
      }
    });
    if (failure === null) {
      await d.say(d.t("conv-test-ok"));
      return route;
    }
    const next = await d.choose(d.t("conv-test-failed", { reason: failure }), [
      [{ value: "again", label: d.t("conv-btn-other-chat") }],
      [{ value: "keep", label: d.t("conv-btn-keep-anyway") }],
      [{ value: "same", label: d.t("conv-notify-same") }],
    ]);
    if (next === "keep") return route;
    if (next === "same") return undefined;
  }
}

function summary(d: Dialog, draft: Draft): string {
  const enc = draft.encryption ?? { kind: "none" };
  const encryption =
    enc.kind === "recipients"
      ? d.t("conv-summary-enc-recipients", { n: enc.recipients.length })
      : d.t(enc.kind === "passphrase" ? "conv-summary-enc-passphrase" : "conv-summary-enc-none");
  const route = (r: ChatRoute | undefined) =>
    r ? (r.thread_id ? d.t("conv-summary-route-topic", { chat: r.chat_id, topic: String(r.thread_id) }) : r.chat_id) : d.t("conv-notify-same");
  const retention = draft.retention && Object.keys(draft.retention).length > 0 ? formatRetention(draft.retention) : d.t("conv-summary-keep-all");
  return d.t("conv-job-summary", {
    name: draft.name ?? "",
    source: draft.source?.name ?? "",
    destinations: (draft.destinations ?? []).join(", "),
    schedule: draft.schedule ?? "",
    timezone: draft.timezone ?? d.t("conv-summary-tz-default", { tz: d.deps.defaultTimezone }),
    format: draft.format ?? "",
    compression: draft.compression ?? DEFAULT_COMPRESSION,
    encryption,
    partSize: String(formatSize(draft.partSize ?? DEFAULT_PART_SIZE)),
    retention,
    success: route(draft.notify.success),
    failure: route(draft.notify.failure),
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
