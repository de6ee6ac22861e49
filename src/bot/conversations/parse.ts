import type { Message } from "grammy/types";
import type { Retention } from "../../domain.js";
import { retentionSchema } from "../../domain/job.schema.js";
import { ageRecipientSchema } from "../../services/job.schema.js";
import { RETENTION_KEYS } from "../../services/validation.js";
import { chatIdSchema, check, portSchema, threadIdSchema } from "../../shared/schema.js";

/**
 * Pure readers for what users type in the dialogs. The decisions are the configuration schemas'
 * (the very ones YAML import and the services apply); these only turn chat text into the values
 * they check and name the locale key that explains a refusal.
 */

export type Read<T> = { ok: T } | { error: string; params?: Record<string, string | number> };

export function readPort(text: string): Read<number> {
  const trimmed = text.trim();
  const n = /^\d{1,6}$/.test(trimmed) ? Number(trimmed) : NaN;
  if (!check(portSchema, Number.isNaN(n) ? trimmed : n).ok) return { error: "conv-err-port" };
  return { ok: n };
}

export function readThreadId(text: string): Read<number> {
  const trimmed = text.trim();
  const n = /^\d{1,15}$/.test(trimmed) ? Number(trimmed) : NaN;
  if (!check(threadIdSchema, Number.isNaN(n) ? trimmed : n).ok) return { error: "conv-err-thread" };
  return { ok: n };
}

/**
 * The chat a user means: a chat id, an @username or t.me link, or a message forwarded from the
 * channel (or from an anonymous group admin). A message forwarded from a person is refused.
 */
export function readChat(message: Message): Read<{ chatId: string; title?: string }> {
  const origin = message.forward_origin;
  if (origin) {
    if (origin.type === "channel") return { ok: { chatId: String(origin.chat.id), ...titleOf(origin.chat) } };
    if (origin.type === "chat") return { ok: { chatId: String(origin.sender_chat.id), ...titleOf(origin.sender_chat) } };
    return { error: "conv-err-forward-user" };
  }
  let text = (message.text ?? "").trim();
  const link = /^(?:https?:\/\/)?t(?:elegram)?\.me\/([A-Za-z][A-Za-z0-9_]{3,})\/?$/.exec(text);
  if (link) text = `@${link[1]}`;
  const parsed = check(chatIdSchema, text);
  if (!parsed.ok) return { error: "conv-err-chat" };
  return { ok: { chatId: parsed.value } };
}

function titleOf(chat: { title?: string; username?: string }): { title?: string } {
  const title = chat.title ?? chat.username;
  return title ? { title } : {};
}

/** One or more age public keys separated by spaces, commas or new lines; every refusal names the key. */
export function readRecipients(text: string): Read<string[]> {
  const keys = text.split(/[\s,;]+/).filter(Boolean);
  if (keys.length === 0) return { error: "conv-err-recipients-empty" };
  const out: string[] = [];
  for (const key of keys) {
    if (!check(ageRecipientSchema, key).ok) {
      if (key.startsWith("AGE-SECRET-KEY-")) return { error: "conv-err-recipient-secret" };
      return { error: "conv-err-recipient", params: { value: key.length > 80 ? `${key.slice(0, 77)}…` : key } };
    }
    if (!out.includes(key)) out.push(key);
  }
  return { ok: out };
}

/** `keep_last=14 keep_daily=7` (also `keep_last: 14`, commas, new lines); `none`/`all` = keep everything. */
export function readRetention(text: string): Read<Retention> {
  const trimmed = text.trim();
  if (/^(none|all|-)$/i.test(trimmed)) return { ok: {} };
  const input: Record<string, unknown> = {};
  const pairs = trimmed.replace(/\s*[:=]\s*/g, "=").split(/[\s,;]+/).filter(Boolean);
  if (pairs.length === 0) return { error: "conv-err-retention" };
  for (const pair of pairs) {
    const m = /^([a-z_]+)=(\d{1,9})$/.exec(pair.toLowerCase());
    if (!m || !(RETENTION_KEYS as readonly string[]).includes(m[1]!)) return { error: "conv-err-retention" };
    input[m[1]!] = Number(m[2]);
  }
  const parsed = check(retentionSchema, input);
  if (!parsed.ok) return { error: "conv-err-retention" };
  return { ok: parsed.value };
}

export { freeName, slugName } from "../../shared/names.js";

/** Retention presets; the first is the recommended default. */
export const RETENTION_PRESETS: ReadonlyArray<{ value: string; key: string; retention: Retention }> = [
  { value: "gfs", key: "conv-retention-recommended", retention: { keep_last: 14, keep_daily: 7, keep_weekly: 4, keep_monthly: 6 } },
  { value: "last7", key: "conv-retention-last7", retention: { keep_last: 7 } },
  { value: "last30", key: "conv-retention-last30", retention: { keep_last: 30 } },
  { value: "all", key: "conv-retention-all", retention: {} },
];

