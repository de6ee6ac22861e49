import type { Api } from "grammy";
import { isSecretRef } from "../../crypto/secret-ref.js";
import type { TranslateParams } from "../../i18n.js";
import type { DestinationView } from "../../services/destinations.service.js";
import type { SourceView } from "../../services/sources.service.js";
import type { BotDeps } from "../deps.js";

/**
 * The texts of source and destination cards, shared by the /sources and /destinations screens,
 * the edit dialogs (the card again after a change) and the creation dialogs' review step.
 */

export type T = (key: string, params?: TranslateParams) => string;

export const SOURCE_ICON: Record<SourceView["kind"], string> = { postgres: "🐘", mysql: "🐬", sqlite: "🪶", volume: "📦", directory: "📁", redis: "🟥" };
export const DESTINATION_ICON: Record<DestinationView["kind"], string> = { telegram: "✈️", local: "💾", s3: "🪣" };

/** A reference (env:/file:) is shown; a literal secret never is. */
export function secretText(t: T, secret: unknown): string {
  if (typeof secret !== "string" || secret === "") return t("secret-none");
  return isSecretRef(secret) ? secret : t("secret-hidden");
}

/** The lines describing a source's settings (no name line, no "used by"). */
export function sourceLines(t: T, s: SourceView): string[] {
  const lines: string[] = [];
  if (s.kind === "postgres" || s.kind === "mysql") {
    lines.push(t("sources-card-db", { host: s.host ?? "", port: String(s.port ?? ""), database: s.database ?? "", user: s.user ?? "" }));
    lines.push(t("sources-card-password", { password: secretText(t, s.password) }));
  }
  if (s.kind === "redis") {
    lines.push(t("edit-card-server", { server: `${s.host ?? ""}:${String(s.port ?? "")}` }));
    lines.push(t("sources-card-password", { password: secretText(t, s.password) }));
  }
  if (s.path) lines.push(t("sources-card-path", { path: s.path }));
  if (s.exclude?.length) lines.push(t("sources-card-exclude", { patterns: s.exclude.join(", ") }));
  if (s.volume) lines.push(t("sources-card-volume", { volume: s.volume }));
  return lines;
}

export function sourceCardText(t: T, s: SourceView, usedBy: string[]): string {
  return [
    t("sources-card-head", { icon: SOURCE_ICON[s.kind], name: s.name, kind: s.kind }),
    ...sourceLines(t, s),
    usedBy.length ? t("card-used-by", { jobs: usedBy.join(", ") }) : t("card-unused"),
  ].join("\n");
}

/** `Title (id)` when the title is known, else the id. */
export function chatLabel(chatId: string, title: string | undefined): string {
  return title ? `${title} (${chatId})` : chatId;
}

/** The language a chat's posts are in, by its own name ("English", "Русский"). */
export function languageName(translate: (locale: string, key: string) => string, locale: string | undefined): string {
  return locale ? translate(locale, "lang-name") : "";
}

/** The lines describing a destination's settings. `titles` maps chat ids to their titles when known. */
export function destinationLines(t: T, d: DestinationView, titles: Record<string, string>, language?: string): string[] {
  const lines: string[] = [];
  if (d.kind === "telegram") {
    const chat = String(d.chat_id ?? "");
    lines.push(t("dests-card-chat", { chat: chatLabel(chat, titles[chat]) }));
    if (d.thread_id !== undefined) lines.push(t("dests-card-thread", { thread: String(d.thread_id) }));
    lines.push(t("dests-card-token", { token: d.bot_token ? secretText(t, d.bot_token) : t("dests-card-main-bot") }));
    if (d.mirror_chat_id !== undefined) {
      const mirror = String(d.mirror_chat_id);
      lines.push(t("edit-card-mirror", { chat: chatLabel(mirror, titles[mirror]) }));
    }
    if (language) lines.push(t("edit-card-language", { language }));
  }
  if (d.kind === "s3") {
    lines.push(t("s3-card-bucket", { bucket: String(d.bucket ?? ""), endpoint: String(d.endpoint ?? "") }));
    if (d.prefix) lines.push(t("s3-card-prefix", { prefix: String(d.prefix) }));
    lines.push(t("s3-card-key", { key: String(d.access_key_id ?? ""), secret: secretText(t, d.secret_access_key) }));
  }
  if (d.path) lines.push(t("dests-card-path", { path: d.path }));
  return lines;
}

export function destinationCardText(t: T, d: DestinationView, usedBy: string[], titles: Record<string, string>, language?: string): string {
  return [
    t("dests-card-head", { icon: DESTINATION_ICON[d.kind], name: d.name, kind: d.kind }),
    ...destinationLines(t, d, titles, language),
    usedBy.length ? t("card-used-by", { jobs: usedBy.join(", ") }) : t("card-unused"),
  ].join("\n");
}

export interface ChatInfo {
  title?: string;
  type?: string;
  isForum?: boolean;
}

/** What getChat says about a chat (title, type, forum); nothing when the bot cannot see it. */
export async function chatInfo(api: Api, chatId: string): Promise<ChatInfo> {
  try {
    const chat = await api.getChat(chatId);
    const info: ChatInfo = { type: chat.type };
    const { title, username } = chat as { title?: string; username?: string };
    const shown = title || (username ? `@${username}` : undefined);
    if (shown) info.title = shown;
    if ("is_forum" in chat && chat.is_forum) info.isForum = true;
    return info;
  } catch {
    // another bot's chat, or one this bot left: the id alone still identifies it
    return {};
  }
}

/** Titles of a destination's chats, for its card. */
export async function chatTitles(api: Api, d: DestinationView): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const id of [d.chat_id, d.mirror_chat_id]) {
    if (id === undefined) continue;
    const title = (await chatInfo(api, String(id))).title;
    if (title) out[String(id)] = title;
  }
  return out;
}

/** Names of the jobs backing up a source. */
export function sourceUsers(deps: Pick<BotDeps, "jobs">, id: number): string[] {
  return deps.jobs.list().filter((j) => j.sourceId === id).map((j) => j.name);
}

/** Names of the jobs delivering to a destination. */
export function destinationUsers(deps: Pick<BotDeps, "jobs">, id: number): string[] {
  return deps.jobs.list().filter((j) => j.destinationIds.includes(id)).map((j) => j.name);
}
