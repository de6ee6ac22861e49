import * as v from "valibot";
import { isSecretRef, protectedEnvRef } from "../crypto/secret-ref.js";
import { LOCALES } from "../i18n.js";
import { chatIdSchema, oneOf, optional, say, SECRET_MASK, secretSchema, threadIdSchema } from "../shared/schema.js";
import type { DestinationConfig } from "./port.js";
import type { DestinationKindSchema } from "./kind-schema.js";

/** A bot token, literally or as an `env:`/`file:` reference. */
export const botTokenSchema = v.pipe(
  secretSchema({ isRef: isSecretRef, protectedRef: protectedEnvRef }),
  v.check((s) => s === SECRET_MASK || isSecretRef(s) || /^\d+:[\w-]{20,}$/.test(s), say("validation-bot-token")),
);

/** YAML key ↔ stored setting. */
const STORED = { chat_id: "chatId", thread_id: "threadId", mirror_chat_id: "mirrorChatId", mirror_thread_id: "mirrorThreadId", language: "language" } as const;

/**
 * A Telegram chat (and forum topic); `bot_token` defaults to the bot's own, `mirror_*` is a second
 * chat every verified run is copied to, `language` the language of the posts in the chat (the
 * app's default when absent).
 */
export const telegramSchema = {
  kind: "telegram",
  settings: {
    chat_id: chatIdSchema,
    thread_id: optional(threadIdSchema),
    bot_token: optional(botTokenSchema),
    mirror_chat_id: optional(chatIdSchema),
    mirror_thread_id: optional(threadIdSchema),
    language: optional(oneOf(LOCALES)),
  },
  secret: "bot_token",
  toStored: (parsed) => {
    const out: Record<string, unknown> = {};
    for (const [yamlKey, stored] of Object.entries(STORED)) if (parsed[yamlKey] !== undefined) out[stored] = parsed[yamlKey];
    return out;
  },
  fromStored: (s) => {
    const out: Record<string, unknown> = {};
    for (const [yamlKey, stored] of Object.entries(STORED)) if (s[stored] != null) out[yamlKey] = yamlKey.endsWith("chat_id") ? String(s[stored]) : s[stored];
    return out;
  },
  toConfig: (name, s, token) => {
    const config: DestinationConfig = { kind: "telegram", name, chatId: String(s.chatId) };
    if (typeof s.threadId === "number") config.threadId = s.threadId;
    if (s.mirrorChatId != null) config.mirrorChatId = String(s.mirrorChatId);
    if (typeof s.mirrorThreadId === "number") config.mirrorThreadId = s.mirrorThreadId;
    if (typeof s.language === "string") config.language = s.language;
    if (token !== undefined) config.botToken = token;
    return config;
  },
} satisfies DestinationKindSchema<"telegram">;
