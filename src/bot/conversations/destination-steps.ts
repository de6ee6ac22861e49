import path from "node:path";
import type { DestinationKind } from "../../destinations/port.js";
import { LOCALES } from "../../i18n.js";
import type { DestinationSpec, DestinationView } from "../../services/destinations.service.js";
import type { Issue } from "../../services/errors.js";
import { checkAbsolutePath, Issues } from "../../services/validation.js";
import { chatInfo, chatLabel, languageName } from "../features/cards.js";
import type { Dialog } from "./dialog.js";
import { freeName, slugName } from "./parse.js";
import { askS3Field, type S3Draft, type S3Field } from "./s3-steps.js";
import { askChat, askName, askSecret, askThread, chooseField, reasonOf, revealSecret, rows, secretLabel, storedSecret, type SecretSlot } from "./steps.js";

/**
 * A destination's settings as the dialogs ask them: one step per field, used by /newdest (in
 * order) and by the card's ✏️ Edit (one field), so both check answers the same way.
 */

export type DestinationField = "chat" | "thread" | "token" | "mirror" | "language" | "path" | "name" | S3Field;

export interface DestinationDraft {
  kind: DestinationKind;
  /** The stored destination being edited; absent while creating. */
  id?: number;
  original?: string;
  chatId?: string;
  /** What getChat said about the chat (title for names and cards; channels and plain groups get no topic question). */
  chatTitle?: string;
  chatType?: string;
  isForum?: boolean;
  threadId?: number;
  token?: SecretSlot;
  /** A second chat every verified run is copied to (README "Mirror chat"). */
  mirrorChatId?: string;
  mirrorTitle?: string;
  mirrorThreadId?: number;
  /** The language of the posts in the chat (default: the creating admin's). */
  language?: string;
  path?: string;
  name?: string;
  s3?: S3Draft;
}

/** The questions of /newdest, in order (a telegram destination's language is the admin's). */
export const NEW_DESTINATION_FIELDS: Readonly<Record<DestinationKind, readonly DestinationField[]>> = {
  telegram: ["chat", "thread", "token", "mirror", "name"],
  local: ["path", "name"],
  s3: ["endpoint", "region", "bucket", "prefix", "pathStyle", "accessKey", "secretKey", "name"],
};

/** What the edit menu offers. */
const MENU_FIELDS: Readonly<Record<DestinationKind, readonly DestinationField[]>> = {
  ...NEW_DESTINATION_FIELDS,
  telegram: ["chat", "thread", "token", "mirror", "language", "name"],
};

/** The field holding the kind's one secret (asked again when the vault lost it). */
export const secretField = (kind: DestinationKind): DestinationField => (kind === "s3" ? "secretKey" : "token");

/** Fields whose change needs no connection test before saving. */
export const UNTESTED_FIELDS: ReadonlySet<DestinationField> = new Set(["name", "language"]);

export type DestinationTest = { kind: "ok" } | { kind: "failed"; reason: string } | { kind: "invalid"; issues: Issue[] } | { kind: "lost" };

/** True when the chat may have forum topics (a forum supergroup, or a chat the bot cannot look at). */
function mayHaveTopics(draft: DestinationDraft): boolean {
  return draft.chatType === undefined || (draft.chatType === "supergroup" && draft.isForum === true);
}

/** A stored destination as a draft to edit; its secret stays stored. Chat titles are looked up by the caller. */
export function destinationDraftOf(view: DestinationView): DestinationDraft {
  const draft: DestinationDraft = { kind: view.kind, id: view.id, original: view.name, name: view.name };
  if (view.kind === "telegram") {
    draft.chatId = String(view.chat_id ?? "");
    if (view.thread_id !== undefined) draft.threadId = view.thread_id;
    draft.token = storedSecret(view.bot_token);
    if (view.mirror_chat_id !== undefined) draft.mirrorChatId = String(view.mirror_chat_id);
    if (view.mirror_thread_id !== undefined) draft.mirrorThreadId = view.mirror_thread_id;
    if (view.language !== undefined) draft.language = view.language;
  } else if (view.kind === "local") draft.path = view.path ?? "";
  else {
    draft.s3 = { endpoint: view.endpoint, region: view.region, bucket: view.bucket, pathStyle: view.path_style ?? false, accessKey: view.access_key_id, secretKey: storedSecret(view.secret_access_key) };
    if (view.prefix) draft.s3.prefix = view.prefix;
  }
  return draft;
}

/** Looks the draft's chats up (title, type, forum). */
export async function lookUpChats(d: Dialog, draft: DestinationDraft): Promise<void> {
  if (draft.chatId) setChat(draft, draft.chatId, await chatInfo(d.ctx.api, draft.chatId));
  if (draft.mirrorChatId) {
    const title = (await chatInfo(d.ctx.api, draft.mirrorChatId)).title;
    if (title) draft.mirrorTitle = title;
  }
}

function setChat(draft: DestinationDraft, chatId: string, info: { title?: string; type?: string; isForum?: boolean }, forwardedTitle?: string): void {
  draft.chatId = chatId;
  const title = info.title ?? forwardedTitle;
  if (title) draft.chatTitle = title;
  else delete draft.chatTitle;
  if (info.type) draft.chatType = info.type;
  else delete draft.chatType;
  if (info.isForum) draft.isForum = true;
  else delete draft.isForum;
}

export async function askDestinationField(d: Dialog, draft: DestinationDraft, field: DestinationField): Promise<void> {
  switch (field) {
    case "chat": {
      const chat = await askChat(d, d.t("conv-dest-chat"));
      if (!("chatId" in chat)) return;
      setChat(draft, chat.chatId, await chatInfo(d.ctx.api, chat.chatId), chat.title);
      if (!mayHaveTopics(draft)) delete draft.threadId;
      // Changing the chat of a stored destination: a forum asks its topic right away.
      else if (draft.id !== undefined && draft.isForum) await askDestinationField(d, draft, "thread");
      return;
    }
    case "thread": {
      if (!mayHaveTopics(draft)) {
        delete draft.threadId;
        return;
      }
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
      delete draft.mirrorThreadId;
      if ("chatId" in mirror && mirror.chatId !== draft.chatId) {
        draft.mirrorChatId = mirror.chatId;
        const title = (await chatInfo(d.ctx.api, mirror.chatId)).title ?? mirror.title;
        if (title) draft.mirrorTitle = title;
        else delete draft.mirrorTitle;
      } else {
        delete draft.mirrorChatId;
        delete draft.mirrorTitle;
      }
      return;
    }
    case "language":
      draft.language = await d.choose(
        d.t("edit-dest-language"),
        rows(LOCALES.map((l) => ({ value: l, label: languageName(d.deps.translate, l) })), 2),
      );
      return;
    case "path":
      draft.path = await d.askValid(d.t("conv-dest-path"), (a) => {
        const v = a.kind === "text" ? a.text.trim() : "";
        return checkAbsolutePath(v) ? { error: d.t("conv-err-path") } : { ok: v };
      });
      return;
    case "name": {
      const original = draft.original;
      if (original !== undefined) {
        draft.name = await askName(d, d.t("conv-dest-name"), undefined, (n) => n !== original && d.deps.destinations.getByName(n) !== null, "conv-what-destination");
        return;
      }
      const raw =
        draft.kind === "local" ? path.basename(draft.path ?? "") : draft.kind === "s3" ? (draft.s3?.bucket ?? "") : (draft.chatTitle ?? draft.chatId?.replace(/^@/, "") ?? "");
      const base = slugName(raw) ?? (draft.kind === "local" ? "local" : draft.kind === "s3" ? "s3" : "channel");
      const suggestion = await d.external(() => freeName(base, new Set(d.deps.destinations.list().map((x) => x.name))));
      draft.name = await askName(d, d.t("conv-dest-name"), suggestion, (n) => d.deps.destinations.getByName(n) !== null, "conv-what-destination");
      return;
    }
    default:
      return askS3Field(d, (draft.s3 ??= {}), field);
  }
}

/** The value a field's edit button shows. */
function currentValue(d: Dialog, draft: DestinationDraft, field: DestinationField): string {
  const s3 = draft.s3 ?? {};
  switch (field) {
    case "chat":
      return chatLabel(draft.chatId ?? "", draft.chatTitle);
    case "thread":
      return draft.threadId === undefined ? d.t("conv-btn-no-topic") : String(draft.threadId);
    case "token":
      return draft.token?.kind === "none" || !draft.token ? d.t("dests-card-main-bot") : secretLabel(d, draft.token);
    case "mirror":
      return draft.mirrorChatId ? chatLabel(draft.mirrorChatId, draft.mirrorTitle) : d.t("secret-none");
    case "language":
      return languageName(d.deps.translate, draft.language ?? d.locale);
    case "path":
      return draft.path ?? "";
    case "name":
      return draft.name ?? "";
    case "pathStyle":
      return d.t(s3.pathStyle ? "s3-conv-yes" : "s3-conv-no");
    case "secretKey":
      return secretLabel(d, s3.secretKey);
    default:
      return String(s3[field] ?? "");
  }
}

/** The edit menu (current values on the buttons); the field chosen, or "cancel". */
export async function chooseDestinationField(d: Dialog, draft: DestinationDraft, header?: string): Promise<DestinationField | "cancel"> {
  const fields = MENU_FIELDS[draft.kind]
    .filter((f) => f !== "thread" || mayHaveTopics(draft) || draft.threadId !== undefined)
    .map((f) => ({ value: f, label: d.t(`conv-field-${f}`), current: currentValue(d, draft, f) }));
  return (await chooseField(d, fields, header)) as DestinationField | "cancel";
}

/** Re-asks the fields the service refused; anything it cannot place goes through the edit menu. False: cancelled there. */
export async function fixDestinationIssues(d: Dialog, draft: DestinationDraft, issues: Issue[]): Promise<boolean> {
  const byPath: Record<string, DestinationField> = {
    name: "name", chat_id: "chat", thread_id: "thread", bot_token: "token", mirror_chat_id: "mirror", path: "path", language: "language",
    endpoint: "endpoint", region: "region", bucket: "bucket", prefix: "prefix", path_style: "pathStyle", access_key_id: "accessKey", secret_access_key: "secretKey",
  };
  const fields = [...new Set(issues.map((i) => byPath[i.path.split(".")[0]!]).filter((f): f is DestinationField => f !== undefined))];
  if (fields.length === 0) {
    const field = await chooseDestinationField(d, draft);
    if (field === "cancel") return false;
    fields.push(field);
  }
  for (const f of fields) await askDestinationField(d, draft, f);
  return true;
}

/** What the test message names: the chat (by title), the folder or the bucket. */
export function describeDestination(draft: DestinationDraft): string {
  if (draft.kind === "s3") return `${draft.s3?.bucket ?? ""} · ${draft.s3?.endpoint ?? ""}`;
  if (draft.kind === "local") return draft.path ?? "";
  return chatLabel(draft.chatId ?? "", draft.chatTitle);
}

/** The spec without its secret; `secret` is the slot the caller reveals. */
function plainSpec(draft: DestinationDraft): { spec: DestinationSpec; slot: SecretSlot | undefined; key: "secret_access_key" | "bot_token" | undefined } {
  const spec: DestinationSpec = { name: draft.name ?? "", kind: draft.kind };
  if (draft.kind === "s3") {
    const s3 = draft.s3 ?? {};
    Object.assign(spec, { endpoint: s3.endpoint ?? "", region: s3.region, bucket: s3.bucket ?? "", path_style: s3.pathStyle ?? false, access_key_id: s3.accessKey ?? "" });
    if (s3.prefix) spec.prefix = s3.prefix;
    return { spec, slot: s3.secretKey, key: "secret_access_key" };
  }
  if (draft.kind === "local") {
    spec.path = draft.path ?? "";
    return { spec, slot: undefined, key: undefined };
  }
  spec.chat_id = draft.chatId ?? "";
  if (draft.threadId !== undefined) spec.thread_id = draft.threadId;
  if (draft.mirrorChatId !== undefined) spec.mirror_chat_id = draft.mirrorChatId;
  if (draft.mirrorChatId !== undefined && draft.mirrorThreadId !== undefined) spec.mirror_thread_id = draft.mirrorThreadId;
  if (draft.language !== undefined) spec.language = draft.language;
  return { spec, slot: draft.token, key: "bot_token" };
}

/** The draft as a card shows it (a set secret shows as set). */
export function destinationViewOf(draft: DestinationDraft): DestinationView {
  const { spec, slot, key } = plainSpec(draft);
  const view = { id: draft.id ?? 0, ...spec } as DestinationView;
  if (key && slot && slot.kind !== "none") (view as Record<string, unknown>)[key] = slot.kind === "stored" && slot.shown ? slot.shown : "***";
  return view;
}

/** Chat titles the draft knows, for its review. */
export function draftTitles(draft: DestinationDraft): Record<string, string> {
  const out: Record<string, string> = {};
  if (draft.chatId && draft.chatTitle) out[draft.chatId] = draft.chatTitle;
  if (draft.mirrorChatId && draft.mirrorTitle) out[draft.mirrorChatId] = draft.mirrorTitle;
  return out;
}

/** The spec as the service takes it; the secret comes from the vault. Call only inside `external`. */
export function destinationSpecOf(d: Dialog, draft: DestinationDraft): { spec: DestinationSpec; secret: string | null } | undefined {
  const { spec, slot, key } = plainSpec(draft);
  const secret = revealSecret(d, slot);
  if (secret === undefined) return undefined;
  if (secret !== null && key) (spec as Record<string, unknown>)[key] = secret;
  return { spec, secret };
}

/** Posts a test message (telegram; the mirror chat too), writes a test file or object. Call only inside `external`. */
export async function testDestination(d: Dialog, draft: DestinationDraft): Promise<DestinationTest> {
  const built = destinationSpecOf(d, draft);
  if (!built) return { kind: "lost" };
  const issues = new Issues();
  const existing = draft.id === undefined ? null : d.deps.destinations.findRow(draft.id);
  const prepared = d.deps.destinations.prepare(built.spec, existing, issues);
  if (!prepared) return { kind: "invalid", issues: issues.items };
  let resolved: string | undefined;
  try {
    const config = await d.deps.destinations.resolveDraft(prepared, existing);
    if (config.kind === "telegram") resolved = config.botToken;
    if (config.kind === "s3") resolved = config.secretAccessKey;
    await d.deps.checkDestination(config);
    // The mirror chat must take posts from the same bot too.
    if (config.kind === "telegram" && config.mirrorChatId) {
      const { threadId: _, mirrorChatId, mirrorThreadId, ...main } = config;
      await d.deps.checkDestination({ ...main, chatId: mirrorChatId, ...(mirrorThreadId !== undefined ? { threadId: mirrorThreadId } : {}) });
    }
    return { kind: "ok" };
  } catch (err) {
    return { kind: "failed", reason: reasonOf(d, err, [built.secret, resolved]) };
  }
}
