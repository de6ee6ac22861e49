import path from "node:path";
import type { Issue } from "../../services/errors.js";
import type { SourceSpec, SourceView } from "../../services/sources.service.js";
import { checkAbsolutePath, checkHost, checkRequiredString, checkVolumeName, Issues } from "../../services/validation.js";
import { show } from "../../shared/schema.js";
import { usableExclude } from "../../sources/exclude.js";
import type { SourceKind } from "../../sources/port.js";
import type { Dialog } from "./dialog.js";
import { freeName, readPort, slugName } from "./parse.js";
import { askName, askSecret, chooseField, explain, reasonOf, revealSecret, secretLabel, storedSecret, type SecretSlot } from "./steps.js";

/**
 * A source's settings as the dialogs ask them: one step per field, used by /newsource (every
 * field in order) and by the card's ✏️ Edit (one field), so both check answers the same way.
 */

export type SourceField = "host" | "port" | "database" | "user" | "password" | "path" | "volume" | "exclude" | "name";

export interface SourceDraft {
  kind: SourceKind;
  /** The stored source being edited; absent while creating. */
  id?: number;
  /** Its name before the edit (a name it already has is not "taken"). */
  original?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: SecretSlot;
  path?: string;
  volume?: string;
  /** A directory's exclude patterns (absent: nothing is left out). */
  exclude?: string[];
  name?: string;
}

/** The settings a draft holds besides its name and password. */
const DRAFT_SETTINGS = ["host", "port", "database", "user", "path", "volume", "exclude"] as const;

const DB_FIELDS: readonly SourceField[] = ["host", "port", "database", "user", "password", "name"];
export const SOURCE_FIELDS: Readonly<Record<SourceKind, readonly SourceField[]>> = {
  postgres: DB_FIELDS,
  mysql: DB_FIELDS,
  sqlite: ["path", "name"],
  directory: ["path", "exclude", "name"],
  volume: ["volume", "name"],
  redis: ["host", "port", "password", "name"],
};
const DEFAULT_PORT: Partial<Record<SourceKind, number>> = { postgres: 5432, mysql: 3306, redis: 6379 };
const DEFAULT_USER: Partial<Record<SourceKind, string>> = { postgres: "postgres", mysql: "root" };

export type SourceTest = { kind: "ok"; version?: string } | { kind: "failed"; reason: string } | { kind: "invalid"; issues: Issue[] } | { kind: "lost" };

/** A stored source as a draft to edit; its password stays stored (shown as "set" or its reference). */
export function sourceDraftOf(view: SourceView): SourceDraft {
  const draft: SourceDraft = { kind: view.kind, id: view.id, original: view.name, name: view.name, password: storedSecret(view.password) };
  for (const key of DRAFT_SETTINGS) {
    if (view[key] !== undefined) (draft as unknown as Record<string, unknown>)[key] = view[key];
  }
  return draft;
}

export async function askSourceField(d: Dialog, draft: SourceDraft, field: SourceField): Promise<void> {
  const kind = draft.kind;
  switch (field) {
    case "host":
      draft.host = await d.askValid(d.t("conv-src-host"), (a) => {
        const v = a.kind === "text" ? a.text.trim() : "";
        return checkHost(v) ? { error: d.t("conv-err-host", { value: v }) } : { ok: v };
      });
      return;
    case "port": {
      const def = DEFAULT_PORT[kind]!;
      draft.port = await d.askValid(
        d.t("conv-src-port"),
        (a) => (a.kind === "button" ? { ok: def } : explain(d, readPort(a.kind === "text" ? a.text : ""))),
        { text: true, choices: [[{ value: "default", label: d.t("conv-btn-use", { value: String(def) }) }]] },
      );
      return;
    }
    case "database":
      draft.database = await d.askValid(d.t("conv-src-database"), (a) => required(d, a.kind === "text" ? a.text : ""));
      return;
    case "user": {
      const def = DEFAULT_USER[kind]!;
      draft.user = await d.askValid(
        d.t("conv-src-user"),
        (a) => (a.kind === "button" ? { ok: def } : required(d, a.kind === "text" ? a.text : "")),
        { text: true, choices: [[{ value: "default", label: d.t("conv-btn-use", { value: def }) }]] },
      );
      return;
    }
    case "password":
      draft.password = await askSecret(d, d.t("conv-src-password", { user: draft.user ?? (kind === "redis" ? "default" : "") }), "password", {
        value: "none",
        label: d.t("conv-btn-no-password"),
      });
      return;
    case "path":
      draft.path = await d.askValid(d.t(kind === "sqlite" ? "conv-src-sqlite-path" : "conv-src-directory-path"), (a) => {
        const v = a.kind === "text" ? a.text.trim() : "";
        return checkAbsolutePath(v) ? { error: d.t("conv-err-path") } : { ok: v };
      });
      return;
    case "exclude": {
      const patterns = await d.askValid<string[]>(
        d.t("conv-src-exclude"),
        (a) => {
          if (a.kind === "button") return { ok: [] };
          const given = readPatterns(a.kind === "text" ? a.text : "");
          const bad = given.find((p) => !usableExclude(p));
          if (bad !== undefined) return { error: d.t("validation-exclude", { value: show(bad) }) };
          return given.length === 0 ? { error: d.t("conv-err-exclude") } : { ok: given };
        },
        { text: true, choices: [[{ value: "none", label: d.t("conv-btn-no-exclude") }]] },
      );
      draft.exclude = patterns.length > 0 ? patterns : undefined;
      return;
    }
    case "volume":
      draft.volume = await d.askValid(d.t("conv-src-volume"), (a) => {
        const v = a.kind === "text" ? a.text.trim() : "";
        return checkVolumeName(v) ? { error: d.t("conv-err-volume", { value: v }) } : { ok: v };
      });
      return;
    case "name": {
      const original = draft.original;
      if (original !== undefined) {
        draft.name = await askName(d, d.t("conv-src-name"), undefined, (n) => n !== original && d.deps.sources.getByName(n) !== null, "conv-what-source");
        return;
      }
      const base = slugName(draft.database ?? draft.volume ?? (draft.path ? path.basename(draft.path).replace(/\.[^.]+$/, "") : "")) ?? draft.kind;
      const suggestion = await d.external(() => freeName(base, new Set(d.deps.sources.list().map((s) => s.name))));
      draft.name = await askName(d, d.t("conv-src-name"), suggestion, (n) => d.deps.sources.getByName(n) !== null, "conv-what-source");
      return;
    }
  }
}

/** Patterns sent one a line or separated by commas (a pattern holds neither). */
function readPatterns(raw: string): string[] {
  return [...new Set(raw.split(/[\n,]/).map((p) => p.trim()).filter((p) => p.length > 0))];
}

function required(d: Dialog, raw: string): { ok: string } | { error: string } {
  const v = raw.trim();
  return checkRequiredString(v) ? { error: d.t("conv-err-required") } : { ok: v };
}

/** The value a field's edit button shows. */
function currentValue(d: Dialog, draft: SourceDraft, field: SourceField): string {
  if (field === "password") return secretLabel(d, draft.password);
  if (field === "exclude") return draft.exclude?.join(", ") ?? "";
  const v = draft[field];
  return v === undefined ? "" : String(v);
}

/** The edit menu (current values on the buttons); the field chosen, or "cancel". */
export async function chooseSourceField(d: Dialog, draft: SourceDraft, header?: string): Promise<SourceField | "cancel"> {
  const fields = SOURCE_FIELDS[draft.kind].map((f) => ({ value: f, label: d.t(`conv-field-${f}`), current: currentValue(d, draft, f) }));
  return (await chooseField(d, fields, header)) as SourceField | "cancel";
}

/** Re-asks the fields the service refused; anything it cannot place goes through the edit menu. False: cancelled there. */
export async function fixSourceIssues(d: Dialog, draft: SourceDraft, issues: Issue[]): Promise<boolean> {
  const fields = SOURCE_FIELDS[draft.kind].filter((f) => issues.some((i) => i.path === f || i.path.startsWith(`${f}.`)));
  if (fields.length === 0) {
    const field = await chooseSourceField(d, draft);
    if (field === "cancel") return false;
    fields.push(field);
  }
  for (const f of fields) await askSourceField(d, draft, f);
  return true;
}

/** `user@host:port/database`, a path or a volume: what the test connects to (no password). */
export function describeSource(draft: SourceDraft): string {
  if (draft.kind === "postgres" || draft.kind === "mysql") return `${draft.user}@${draft.host}:${draft.port}/${draft.database}`;
  if (draft.kind === "redis") return `redis://${draft.host}:${draft.port}`;
  return draft.path ?? draft.volume ?? "";
}

/** The draft as a card shows it (no secret: a set password shows as set). */
export function sourceViewOf(draft: SourceDraft): SourceView {
  const view: Record<string, unknown> = { id: draft.id ?? 0, name: draft.name ?? "", kind: draft.kind };
  for (const key of DRAFT_SETTINGS) if (draft[key] !== undefined) view[key] = draft[key];
  const slot = draft.password;
  if (slot && slot.kind !== "none") view.password = slot.kind === "stored" && slot.shown ? slot.shown : "***";
  return view as SourceView;
}

/** The spec as the service takes it; the password comes from the vault. Call only inside `external`. */
export function sourceSpecOf(d: Dialog, draft: SourceDraft): { spec: SourceSpec; secret: string | null } | undefined {
  const spec: SourceSpec = { name: draft.name ?? "", kind: draft.kind };
  for (const key of DRAFT_SETTINGS) {
    if (draft[key] !== undefined) (spec as unknown as Record<string, unknown>)[key] = draft[key];
  }
  const secret = revealSecret(d, draft.password);
  if (secret === undefined) return undefined;
  if (secret !== null) spec.password = secret;
  return { spec, secret };
}

/** The connection test (and read rights) of what the draft would save. Call only inside `external`. */
export async function testSource(d: Dialog, draft: SourceDraft): Promise<SourceTest> {
  const built = sourceSpecOf(d, draft);
  if (!built) return { kind: "lost" };
  const issues = new Issues();
  const existing = draft.id === undefined ? null : d.deps.sources.findRow(draft.id);
  const prepared = d.deps.sources.prepare(built.spec, existing, issues);
  if (!prepared) return { kind: "invalid", issues: issues.items };
  let resolved: string | undefined;
  try {
    const config = await d.deps.sources.configOf(prepared, existing, d.deps.secretEnv ?? process.env);
    if ("password" in config && typeof config.password === "string") resolved = config.password;
    const found = await d.deps.checkSource(config);
    return found?.serverVersion ? { kind: "ok", version: found.serverVersion } : { kind: "ok" };
  } catch (err) {
    return { kind: "failed", reason: reasonOf(d, err, [built.secret, resolved]) };
  }
}
