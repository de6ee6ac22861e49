import type { ConversationFlavor } from "@grammyjs/conversations";
import type { I18nFlavor } from "@grammyjs/i18n";
import type { Context, SessionFlavor } from "grammy";

/**
 * What the bot remembers per chat between updates (stored in `bot_storage`, namespace
 * "session"). Only small, non-secret state: which text prompt the chat is answering.
 * Conversations keep their own state (namespace "conversations").
 */
export interface SessionData {
  /** A free-text answer the chat owes the bot (menus and commands set it; /cancel clears it). */
  prompt?: Prompt;
}

export type Prompt =
  /** The next message must be exactly `targetName` to start the restore. */
  | { kind: "restore-confirm"; runId: number; target: RestoreChoice; targetName: string }
  /** The next message is the age identity (AGE-SECRET-KEY-1…) for a run encrypted to recipients; deleted at once. */
  | { kind: "restore-identity"; runId: number; target: RestoreChoice; targetName: string }
  /** The next message is the passphrase of a run whose stored one does not open it; deleted at once, never stored. */
  | { kind: "restore-passphrase"; runId: number; target: RestoreChoice; targetName: string }
  /** /adopt: the next message names the chat whose catalog to read (a forwarded post, an id or @username). */
  | { kind: "adopt-chat" }
  /** /adopt: the next message is the missing password (of the job's source) or passphrase of an adopted job; deleted at once. */
  | { kind: "adopt-secret"; jobId: number; secret: "password" | "passphrase" };

/**
 * Where a restore goes: replace a source's content (by id), a new database on a database
 * source's server (`database` is its name), or back into the chat as a file.
 */
export type RestoreChoice =
  | { kind: "source"; sourceId: number }
  | { kind: "new-database"; sourceId: number; database: string }
  /** SQLite: a new file (`path`) beside the source's file. */
  | { kind: "new-file"; sourceId: number; path: string }
  | { kind: "file" };

export function initialSession(): SessionData {
  return {};
}

/** The context type of every middleware in the bot (the conversations plugin is installed by `installConversations`). */
export type BotContext = ConversationFlavor<Context & SessionFlavor<SessionData> & I18nFlavor>;
