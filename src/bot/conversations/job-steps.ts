import { DEFAULT_PART_SIZE, type Compression, type NotifyRoutes, type Retention } from "../../domain.js";
import type { Issue } from "../../services/errors.js";
import { formatsOf as kindFormats } from "../../services/job-rules.js";
import { COMPRESSIONS, formatSize, parsePartSize, showBytes } from "../../services/validation.js";
import { readZone } from "../../shared/zones.js";
import type { DumpFormat, SourceKind } from "../../sources/port.js";
import { askPresetTime, bullets, presetByValue, presetRows, previewRuns, readSchedule, type SchedulePreset } from "../schedule-step.js";
import type { Answer, Choice, Dialog } from "./dialog.js";
import { askNewPassphrase } from "./job-passphrase.js";
import { readRecipients, readRetention, RETENTION_PRESETS, slugName } from "./parse.js";
import { askRoute } from "./job-route.js";
import { askName, explain, type SecretSlot } from "./steps.js";

/**
 * The steps of a job, one per setting, shared by /newjob (new-job.ts) and the job card's
 * "✏️ Edit" (edit-job.ts): whatever creation asks, an edit asks the same way, with the same checks.
 */

export type Field =
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

/** Every setting in the order /newjob asks for it. */
export const FIELDS: readonly Field[] = [
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

export type EncryptionChoice = { kind: "none" } | { kind: "recipients"; recipients: string[] } | { kind: "passphrase"; passphrase: SecretSlot };

/** A job's settings as the steps fill them in (JSON: the dialog plugin persists it). */
export interface Draft {
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

export function fieldOfIssue(issue: Issue): Field | undefined {
  const head = issue.path.split(/[.[]/)[0] ?? "";
  if (head === "notify") return issue.path.startsWith("notify.failure") ? "notifyFailure" : "notifySuccess";
  return FIELD_OF_PATH[head];
}

/** The formats the draft's source can produce (the first is its default). */
export function formatsOf(draft: Draft): readonly DumpFormat[] {
  return draft.source ? kindFormats(draft.source.kind) : [];
}

/** The Telegram destinations among `names` (they are the ones whose chats would hold unencrypted files). */
export function telegramDestinations(d: Dialog, names: readonly string[]): Promise<string[]> {
  return d.external(() => d.deps.destinations.list().filter((x) => x.kind === "telegram" && names.includes(x.name)).map((x) => x.name));
}

/** Asks for one setting and writes the answer into the draft. `current`: the job's name when editing (it is not "taken"). */
export async function askField(d: Dialog, draft: Draft, field: Field, current?: string): Promise<void> {
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
      const base = current === undefined ? slugName(`${draft.source?.name ?? "job"}-backup`) : undefined;
      const suggestion = base ? await d.external(() => (d.deps.jobs.getByName(base) === null ? base : null)) : null;
      const taken = (n: string) => n !== current && d.deps.jobs.getByName(n) !== null;
      draft.name = await askName(d, d.t("conv-job-name"), suggestion ?? undefined, taken, "conv-what-job");
      return;
    }
    case "timezone":
      draft.timezone = await askTimezone(d);
      return;
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
      draft.compression = (await d.choose(d.t("conv-job-compression"), [COMPRESSIONS.map((c) => ({ value: c, label: d.t(`conv-compression-${c}`) }))])) as Compression;
      return;
    case "encryption":
      draft.encryption = await askEncryption(d, draft.destinations ?? []);
      return;
    case "partSize":
      draft.partSize = await askPartSize(d, draft.destinations ?? []);
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

async function askTimezone(d: Dialog): Promise<string | null> {
  const def = d.deps.defaultTimezone;
  const choices: Choice[][] = [[{ value: "default", label: d.t("conv-btn-tz-default", { tz: def }) }]];
  if (def !== "UTC") choices.push([{ value: "UTC", label: "UTC" }]);
  return d.askValid<string | null>(
    d.t("conv-job-timezone", { tz: def }),
    (a) => {
      if (a.kind === "button") return { ok: a.value === "default" ? null : a.value };
      // "Moscow", "MSK", "europe/berlin": the zone they mean (src/shared/zones.ts), or the nearest names.
      const v = a.kind === "text" ? a.text.trim() : "";
      const reading = readZone(v);
      if ("zone" in reading) return { ok: reading.zone };
      if (reading.suggestions.length > 0) return { error: d.t("validation-timezone-suggest", { value: JSON.stringify(v), zones: reading.suggestions.join(", ") }) };
      return { error: d.t("conv-err-timezone", { value: v }) };
    },
    { text: true, choices },
  );
}

/** Part sizes the job's destinations could never give back are refused here, with the reason. */
function askPartSize(d: Dialog, destinations: readonly string[]): Promise<number> {
  return d.askValid<number>(
    d.t("conv-job-part-size", { size: String(formatSize(DEFAULT_PART_SIZE)) }),
    async (a) => {
      if (a.kind === "button") return { ok: DEFAULT_PART_SIZE };
      const parsed = parsePartSize(a.kind === "text" ? a.text.trim() : "");
      const size = "error" in parsed ? undefined : parsed.value;
      if (size === undefined) return { error: d.t("conv-err-part-size") };
      const problem = await d.external(() => d.deps.jobs.partSizeProblem(size, destinations));
      if (problem) return { error: d.t("conv-err-part-size-cloud", { size: showBytes(problem.partSize), destination: problem.destination }) };
      return { ok: size };
    },
    { text: true, choices: [[{ value: "default", label: d.t("conv-btn-use", { value: String(formatSize(DEFAULT_PART_SIZE)) }) }]] },
  );
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
    // A preset button, a typed schedule, or null for "Custom cron…".
    const picked = await d.askValid<{ preset: SchedulePreset } | { cron: string } | null>(
      d.t("conv-job-schedule"),
      (a) => {
        if (a.kind === "button") {
          const preset = presetByValue(a.value);
          return { ok: preset ? { preset } : null };
        }
        const typed = read(a);
        return "ok" in typed ? { ok: { cron: typed.ok } } : typed;
      },
      { text: true, choices },
    );
    const expression =
      picked === null ? await d.askValid(d.t("conv-job-cron"), read) : "cron" in picked ? picked.cron : await askPresetTime(d, picked.preset, zone);
    // Recorded for replays as dialogs saved by earlier versions did: the lines, or { error }.
    const runs = await d.external(() => {
      const preview = previewRuns(d.deps, expression, zone, d.locale);
      return "ok" in preview ? preview.ok : preview;
    });
    if (!Array.isArray(runs)) {
      await d.say(d.t("conv-problem", { reason: d.t("conv-err-cron", { detail: runs.error }) }));
      continue;
    }
    const ok = await d.choose(d.t("conv-job-next-runs", { cron: expression, tz: zone, runs: runs.length > 0 ? bullets(runs) : "—" }), [
      [
        { value: "ok", label: d.t("conv-btn-ok") },
        { value: "change", label: d.t("conv-btn-change") },
      ],
    ]);
    if (ok === "ok") return expression;
  }
}

/** Keys, a passphrase (typed twice, strong enough) or none; "none" to a Telegram chat is warned about first. */
async function askEncryption(d: Dialog, destinations: readonly string[]): Promise<EncryptionChoice> {
  for (;;) {
    const kind = await d.choose(d.t("conv-job-encryption"), [
      [{ value: "recipients", label: d.t("conv-enc-recipients") }],
      [{ value: "passphrase", label: d.t("conv-enc-passphrase") }],
      [{ value: "none", label: d.t("conv-enc-none") }],
    ]);
    if (kind === "recipients") {
      const recipients = await d.askValid(d.t("conv-job-recipients"), (a) => explain(d, readRecipients(a.kind === "text" ? a.text : "")));
      return { kind: "recipients", recipients };
    }
    if (kind === "passphrase") return { kind: "passphrase", passphrase: await askNewPassphrase(d) };
    const chats = await telegramDestinations(d, destinations);
    if (chats.length === 0) return { kind: "none" };
    const go = await d.choose(d.t("job-enc-none-telegram", { destinations: chats.join(", ") }), [
      [{ value: "back", label: d.t("job-enc-btn-encrypt") }],
      [{ value: "none", label: d.t("job-enc-btn-plain") }],
    ]);
    if (go === "none") return { kind: "none" };
  }
}
