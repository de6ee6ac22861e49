import path from "node:path";
import type { Context } from "grammy";
import type { DestinationKind } from "../../destinations/port.js";
import type { DestinationSpec } from "../../services/destinations.service.js";
import { ValidationError, type Issue } from "../../services/errors.js";
import { checkAbsolutePath, Issues } from "../../services/validation.js";
import { Dialog, type Convo, type DialogArgs, type DialogEnv } from "./dialog.js";
import { freeName, slugName } from "./parse.js";
import {
  afterFailedTest,
  askChat,
  askName,
  askSecret,
  askThread,
  cancelDialog,
  issuesText,
  reasonOf,
  revealSecret,
  type SecretSlot,
} from "./steps.js";

/** /newdest: kind → chat (+ topic, + own bot, + mirror chat) or folder → name → connection test → save. */

type Field = "chat" | "thread" | "token" | "mirror" | "path" | "name" | S3Field;
/** The S3 branch's questions (`s3-conv-*`, `conv-field-*` in locales/<lang>/s3.ftl). */
type S3Field = "endpoint" | "region" | "bucket" | "prefix" | "pathStyle" | "accessKey" | "secretKey";

interface Draft {
  kind: DestinationKind;
  chatId?: string;
  chatTitle?: string;
  threadId?: number;
  token?: SecretSlot;
  /** A second chat every verified run is copied to (README "Mirror chat"). */
  mirrorChatId?: string;
  path?: string;
  name?: string;
  s3?: { endpoint?: string; region?: string; bucket?: string; prefix?: string; pathStyle?: boolean; accessKey?: string; secretKey?: SecretSlot };
}

const FIELDS: Readonly<Record<DestinationKind, readonly Field[]>> = {
  telegram: ["chat", "thread", "token", "mirror", "name"],
  local: ["path", "name"],
  s3: ["endpoint", "region", "bucket", "prefix", "pathStyle", "accessKey", "secretKey", "name"],
};

/** The field holding the kind's one secret (asked again when the vault lost it). */
const secretField = (kind: DestinationKind): Field => (kind === "s3" ? "secretKey" : "token");

type TestResult = { kind: "ok" } | { kind: "failed"; reason: string } | { kind: "invalid"; issues: Issue[] } | { kind: "lost" };
type SaveResult = { kind: "saved"; name: string } | { kind: "invalid"; issues: Issue[] } | { kind: "failed"; reason: string } | { kind: "lost" };

export function newDestinationConversation(env: DialogEnv) {
  return async function newDestination(convo: Convo, ctx: Context, args?: DialogArgs): Promise<void> {
    const d = await Dialog.open(convo, ctx, env, args, "conv-dialog-new-destination");
    const kind = (await d.choose(d.t("conv-dest-kind"), [
      [{ value: "telegram", label: d.t("conv-dest-kind-telegram") }],
      [{ value: "local", label: d.t("conv-dest-kind-local") }],
      [{ value: "s3", label: d.t("s3-conv-kind") }],
    ])) as DestinationKind;
    const draft: Draft = { kind };
    for (const field of FIELDS[kind]) await askField(d, draft, field);

    for (;;) {
      if (kind === "s3") await d.say(d.t("s3-conv-testing", { target: `${draft.s3?.bucket ?? ""} · ${draft.s3?.endpoint ?? ""}` }));
      else await d.say(d.t(kind === "telegram" ? "conv-dest-testing-telegram" : "conv-dest-testing-local", { target: draft.chatId ?? draft.path ?? "" }));
      const test = await d.external(() => testDestination(d, draft));
      if (test.kind === "lost") {
        await d.say(d.t("conv-secret-lost"));
        await askField(d, draft, secretField(draft.kind));
        continue;
      }
      if (test.kind === "invalid") {
        await d.say(d.t("conv-save-refused", { issues: issuesText(d, test.issues) }));
        await fixIssues(d, draft, test.issues);
        continue;
      }
      if (test.kind === "ok") await d.say(d.t("conv-test-ok"));
      else {
        const next = await afterFailedTest(d, test.reason);
        if (next === "cancel") return cancelDialog(d);
        if (next === "edit") await editSomething(d, draft);
        if (next !== "save") continue;
      }
      const saved = await d.external(() => saveDestination(d, draft));
      if (saved.kind === "saved") {
        await d.forgetSecrets();
        await d.say(d.t("conv-dest-saved", { name: saved.name }));
        return;
      }
      if (saved.kind === "lost") {
        await d.say(d.t("conv-secret-lost"));
        await askField(d, draft, secretField(draft.kind));
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
  switch (field) {
    case "chat": {
      const chat = await askChat(d, d.t("conv-dest-chat"));
      if ("chatId" in chat) {
        draft.chatId = chat.chatId;
        if (chat.title) draft.chatTitle = chat.title;
        else delete draft.chatTitle;
      }
      return;
    }
    case "thread": {
      const thread = await askThread(d, d.t("conv-dest-thread"));
      if (thread === undefined) delete draft.threadId;
      else draft.threadId = thread;
      return;
    }
    case "token": {
      const which = await d.choose(d.t("conv-dest-bot"), [
        [{ value: "this", label: d.t("conv-btn-this-bot") }],
        [{ value: "other", label: d.t("conv-btn-other-bot") }],
      ]);
      if (which === "this") draft.token = { kind: "none" };
      else draft.token = await askSecret(d, d.t("conv-dest-token"), "token");
      return;
    }
    case "mirror": {
      const mirror = await askChat(d, d.t("conv-dest-mirror"), [{ value: "none", label: d.t("conv-btn-no-mirror") }]);
      if ("chatId" in mirror && mirror.chatId !== draft.chatId) draft.mirrorChatId = mirror.chatId;
      else delete draft.mirrorChatId;
      return;
    }
    case "path":
      draft.path = await d.askValid(d.t("conv-dest-path"), (a) => {
        const v = a.kind === "text" ? a.text.trim() : "";
        return checkAbsolutePath(v) ? { error: d.t("conv-err-path") } : { ok: v };
      });
      return;
    case "endpoint":
    case "region":
    case "bucket":
    case "prefix":
    case "pathStyle":
    case "accessKey":
    case "secretKey":
      return askS3Field(d, (draft.s3 ??= {}), field);
    case "name": {
      const raw =
        draft.kind === "local" ? path.basename(draft.path ?? "") : draft.kind === "s3" ? (draft.s3?.bucket ?? "") : (draft.chatTitle ?? draft.chatId?.replace(/^@/, "") ?? "");
      const base = slugName(raw) ?? (draft.kind === "local" ? "local" : draft.kind === "s3" ? "s3" : "channel");
      const suggestion = await d.external(() => freeName(base, new Set(d.deps.destinations.list().map((x) => x.name))));
      draft.name = await askName(d, d.t("conv-dest-name"), suggestion, (n) => d.deps.destinations.getByName(n) !== null, "conv-what-destination");
      return;
    }
  }
}

/** One answer of the S3 branch; the service's schema checks them all before the test. */
async function askS3Field(d: Dialog, s3: NonNullable<Draft["s3"]>, field: S3Field): Promise<void> {
  const text = (prompt: string) =>
    d.askValid(prompt, (a) => {
      const v = a.kind === "text" ? a.text.trim() : "";
      return v ? { ok: v } : { error: d.t("conv-err-required") };
    });
  switch (field) {
    case "endpoint":
      s3.endpoint = await text(d.t("s3-conv-endpoint"));
      return;
    case "region":
      s3.region = await text(d.t("s3-conv-region"));
      return;
    case "bucket":
      s3.bucket = await text(d.t("s3-conv-bucket"));
      return;
    case "prefix": {
      const prefix = await text(d.t("s3-conv-prefix"));
      if (prefix === "-") delete s3.prefix;
      else s3.prefix = prefix;
      return;
    }
    case "pathStyle":
      s3.pathStyle =
        (await d.choose(d.t("s3-conv-path-style"), [
          [{ value: "yes", label: d.t("s3-conv-yes") }],
          [{ value: "no", label: d.t("s3-conv-no") }],
        ])) === "yes";
      return;
    case "accessKey":
      s3.accessKey = await text(d.t("s3-conv-access-key"));
      return;
    case "secretKey":
      s3.secretKey = await askSecret(d, d.t("s3-conv-secret-key"), "password");
      return;
  }
}

async function fixIssues(d: Dialog, draft: Draft, issues: Issue[]): Promise<void> {
  const byPath: Record<string, Field> = {
    name: "name", chat_id: "chat", thread_id: "thread", bot_token: "token", mirror_chat_id: "mirror", path: "path",
    endpoint: "endpoint", region: "region", bucket: "bucket", prefix: "prefix", path_style: "pathStyle", access_key_id: "accessKey", secret_access_key: "secretKey",
  };
  const fields = [...new Set(issues.map((i) => byPath[i.path.split(".")[0]!]).filter((f): f is Field => f !== undefined))];
  if (fields.length === 0) return editSomething(d, draft);
  for (const f of fields) await askField(d, draft, f);
}

async function editSomething(d: Dialog, draft: Draft): Promise<void> {
  const field = (await d.choose(
    d.t("conv-edit-which"),
    FIELDS[draft.kind].map((f) => [{ value: f, label: d.t(`conv-field-${f}`) }]),
  )) as Field;
  await askField(d, draft, field);
}

/** The spec as the service takes it; the bot token comes from the vault. Call only inside `external`. */
function specOf(d: Dialog, draft: Draft): { spec: DestinationSpec; secret: string | null } | undefined {
  const spec: DestinationSpec = { name: draft.name ?? "", kind: draft.kind };
  if (draft.kind === "s3") {
    const s3 = draft.s3 ?? {};
    Object.assign(spec, { endpoint: s3.endpoint ?? "", region: s3.region, bucket: s3.bucket ?? "", path_style: s3.pathStyle ?? false, access_key_id: s3.accessKey ?? "" });
    if (s3.prefix) spec.prefix = s3.prefix;
    const secret = revealSecret(d, s3.secretKey);
    if (secret === undefined) return undefined;
    if (secret !== null) spec.secret_access_key = secret;
    return { spec, secret };
  }
  if (draft.kind === "local") spec.path = draft.path ?? "";
  else {
    spec.chat_id = draft.chatId ?? "";
    if (draft.threadId !== undefined) spec.thread_id = draft.threadId;
    if (draft.mirrorChatId !== undefined) spec.mirror_chat_id = draft.mirrorChatId;
  }
  const secret = revealSecret(d, draft.token);
  if (secret === undefined) return undefined;
  if (secret !== null) spec.bot_token = secret;
  return { spec, secret };
}

async function testDestination(d: Dialog, draft: Draft): Promise<TestResult> {
  const built = specOf(d, draft);
  if (!built) return { kind: "lost" };
  const issues = new Issues();
  const prepared = d.deps.destinations.prepare(built.spec, null, issues);
  if (!prepared) return { kind: "invalid", issues: issues.items };
  let resolved: string | undefined;
  try {
    const config = await d.deps.destinations.resolveDraft(prepared, null);
    if (config.kind === "telegram") resolved = config.botToken;
    if (config.kind === "s3") resolved = config.secretAccessKey;
    await d.deps.checkDestination(config);
    // The mirror chat must take posts from the same bot too.
    if (config.kind === "telegram" && config.mirrorChatId) {
      const { threadId: _, mirrorChatId, ...main } = config;
      await d.deps.checkDestination({ ...main, chatId: mirrorChatId });
    }
    return { kind: "ok" };
  } catch (err) {
    return { kind: "failed", reason: reasonOf(d, err, [built.secret, resolved]) };
  }
}

function saveDestination(d: Dialog, draft: Draft): SaveResult {
  const built = specOf(d, draft);
  if (!built) return { kind: "lost" };
  try {
    const view = d.deps.destinations.create(built.spec);
    return { kind: "saved", name: view.name };
  } catch (err) {
    if (err instanceof ValidationError) return { kind: "invalid", issues: err.issues };
    const reason = reasonOf(d, err, [built.secret]);
    d.deps.log.error({ err: reason }, "saving a destination from the bot failed");
    return { kind: "failed", reason };
  }
}
