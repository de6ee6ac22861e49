import path from "node:path";
import type { Context } from "grammy";
import { ValidationError, type Issue } from "../../services/errors.js";
import type { SourceSpec } from "../../services/sources.service.js";
import { checkAbsolutePath, checkHost, checkRequiredString, checkVolumeName, Issues } from "../../services/validation.js";
import { SOURCE_KINDS, type SourceConfig, type SourceKind } from "../../sources/port.js";
import { Dialog, type Convo, type DialogArgs, type DialogEnv } from "./dialog.js";
import { freeName, readPort, slugName } from "./parse.js";
import {
  afterFailedTest,
  askName,
  askSecret,
  cancelDialog,
  explain,
  issuesText,
  reasonOf,
  resolveForTest,
  revealSecret,
  type SecretSlot,
} from "./steps.js";

/** /newsource: kind → the kind's settings → name → connection test → save. */

type Field = "host" | "port" | "database" | "user" | "password" | "path" | "volume" | "name";

interface Draft {
  kind: SourceKind;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: SecretSlot;
  path?: string;
  volume?: string;
  name?: string;
}

const DB_FIELDS: readonly Field[] = ["host", "port", "database", "user", "password", "name"];
const FIELDS: Readonly<Record<SourceKind, readonly Field[]>> = {
  postgres: DB_FIELDS,
  mysql: DB_FIELDS,
  sqlite: ["path", "name"],
  directory: ["path", "name"],
  volume: ["volume", "name"],
  redis: ["host", "port", "password", "name"],
};
const DEFAULT_PORT: Partial<Record<SourceKind, number>> = { postgres: 5432, mysql: 3306, redis: 6379 };
const DEFAULT_USER: Partial<Record<SourceKind, string>> = { postgres: "postgres", mysql: "root" };

type TestResult =
  | { kind: "ok"; version?: string }
  | { kind: "failed"; reason: string }
  | { kind: "invalid"; issues: Issue[] }
  | { kind: "lost" };

type SaveResult = { kind: "saved"; name: string } | { kind: "invalid"; issues: Issue[] } | { kind: "failed"; reason: string } | { kind: "lost" };

export function newSourceConversation(env: DialogEnv) {
  return async function newSource(convo: Convo, ctx: Context, args?: DialogArgs): Promise<void> {
    const d = await Dialog.open(convo, ctx, env, args, "conv-dialog-new-source");
    const kind = (await d.choose(
      d.t("conv-src-kind"),
      SOURCE_KINDS.map((k) => [{ value: k, label: d.t(`conv-src-kind-${k}`) }]),
    )) as SourceKind;
    const draft: Draft = { kind };
    for (const field of FIELDS[kind]) await askField(d, draft, field);

    for (;;) {
      await d.say(d.t("conv-src-testing", { target: describe(draft) }));
      const test = await d.external(() => testSource(d, draft));
      if (test.kind === "lost") {
        await d.say(d.t("conv-secret-lost"));
        await askField(d, draft, "password");
        continue;
      }
      if (test.kind === "invalid") {
        await d.say(d.t("conv-save-refused", { issues: issuesText(d, test.issues) }));
        await fixIssues(d, draft, test.issues);
        continue;
      }
      if (test.kind === "ok") await d.say(test.version ? d.t("conv-test-ok-version", { version: test.version }) : d.t("conv-test-ok"));
      else {
        const next = await afterFailedTest(d, test.reason);
        if (next === "cancel") return cancelDialog(d);
        if (next === "edit") await editSomething(d, draft);
        if (next !== "save") continue;
      }
      const saved = await d.external(() => saveSource(d, draft));
      if (saved.kind === "saved") {
        await d.forgetSecrets();
        await d.say(d.t("conv-src-saved", { name: saved.name }));
        return;
      }
      if (saved.kind === "lost") {
        await d.say(d.t("conv-secret-lost"));
        await askField(d, draft, "password");
      } else if (saved.kind === "invalid") {
        await d.say(d.t("conv-save-refused", { issues: issuesText(d, saved.issues) }));
        await fixIssues(d, draft, saved.issues);
      } else {
        await d.say(d.t("conv-save-failed", { reason: saved.reason }));
        await editSomething(d, draft);
      }
    }
  };
}

async function askField(d: Dialog, draft: Draft, field: Field): Promise<void> {
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
    case "volume":
      draft.volume = await d.askValid(d.t("conv-src-volume"), (a) => {
        const v = a.kind === "text" ? a.text.trim() : "";
        return checkVolumeName(v) ? { error: d.t("conv-err-volume", { value: v }) } : { ok: v };
      });
      return;
    case "name": {
      const base = slugName(draft.database ?? draft.volume ?? (draft.path ? path.basename(draft.path).replace(/\.[^.]+$/, "") : "")) ?? draft.kind;
      const suggestion = await d.external(() => freeName(base, new Set(d.deps.sources.list().map((s) => s.name))));
      draft.name = await askName(d, d.t("conv-src-name"), suggestion, (n) => d.deps.sources.getByName(n) !== null, "conv-what-source");
      return;
    }
  }
}

function required(d: Dialog, raw: string): { ok: string } | { error: string } {
  const v = raw.trim();
  return checkRequiredString(v) ? { error: d.t("conv-err-required") } : { ok: v };
}

/** Re-asks the fields the service refused; anything it cannot place goes through the edit menu. */
async function fixIssues(d: Dialog, draft: Draft, issues: Issue[]): Promise<void> {
  const fields = FIELDS[draft.kind].filter((f) => issues.some((i) => i.path === f || i.path.startsWith(`${f}.`)));
  if (fields.length === 0) return editSomething(d, draft);
  for (const f of fields) await askField(d, draft, f);
}

async function editSomething(d: Dialog, draft: Draft): Promise<void> {
  const fields = FIELDS[draft.kind];
  const field = (await d.choose(
    d.t("conv-edit-which"),
    fields.map((f) => [{ value: f, label: d.t(`conv-field-${f}`) }]),
  )) as Field;
  await askField(d, draft, field);
}

/** `user@host:port/database`, a path or a volume: what the test connects to (no password). */
function describe(draft: Draft): string {
  if (draft.kind === "postgres" || draft.kind === "mysql") return `${draft.user}@${draft.host}:${draft.port}/${draft.database}`;
  if (draft.kind === "redis") return `redis://${draft.host}:${draft.port}`;
  return draft.path ?? draft.volume ?? "";
}

/** The spec as the service takes it; the password comes from the vault. Call only inside `external`. */
function specOf(d: Dialog, draft: Draft): { spec: SourceSpec; secret: string | null } | undefined {
  const spec: SourceSpec = { name: draft.name ?? "", kind: draft.kind };
  for (const key of ["host", "port", "database", "user", "path", "volume"] as const) {
    if (draft[key] !== undefined) (spec as unknown as Record<string, unknown>)[key] = draft[key];
  }
  const secret = revealSecret(d, draft.password);
  if (secret === undefined) return undefined;
  if (secret !== null) spec.password = secret;
  return { spec, secret };
}

async function testSource(d: Dialog, draft: Draft): Promise<TestResult> {
  const built = specOf(d, draft);
  if (!built) return { kind: "lost" };
  const issues = new Issues();
  const prepared = d.deps.sources.prepare(built.spec, null, issues);
  if (!prepared) return { kind: "invalid", issues: issues.items };
  const s = prepared.settings;
  let resolved: string | undefined;
  try {
    let config: SourceConfig;
    if (prepared.kind === "postgres" || prepared.kind === "mysql") {
      resolved = prepared.password ? await resolveForTest(d, prepared.password) : "";
      config = {
        kind: prepared.kind,
        host: String(s.host),
        port: Number(s.port),
        database: String(s.database),
        user: String(s.user),
        password: resolved,
      };
    } else if (prepared.kind === "redis") {
      resolved = prepared.password ? await resolveForTest(d, prepared.password) : "";
      config = { kind: "redis", host: String(s.host), port: Number(s.port), ...(s.user ? { user: String(s.user) } : {}), password: resolved };
    } else if (prepared.kind === "volume") config = { kind: "volume", volume: String(s.volume) };
    else config = { kind: prepared.kind, path: String(s.path) };
    const found = await d.deps.checkSource(config);
    return found?.serverVersion ? { kind: "ok", version: found.serverVersion } : { kind: "ok" };
  } catch (err) {
    return { kind: "failed", reason: reasonOf(d, err, [built.secret, resolved]) };
  }
}

function saveSource(d: Dialog, draft: Draft): SaveResult {
  const built = specOf(d, draft);
  if (!built) return { kind: "lost" };
  try {
    const view = d.deps.sources.create(built.spec);
    return { kind: "saved", name: view.name };
  } catch (err) {
    if (err instanceof ValidationError) return { kind: "invalid", issues: err.issues };
    d.deps.log.error({ err: reasonOf(d, err, [built.secret]) }, "saving a source from the bot failed");
    return { kind: "failed", reason: reasonOf(d, err, [built.secret]) };
  }
}
