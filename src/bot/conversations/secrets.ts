import { randomBytes } from "node:crypto";
import type { MiddlewareFn, StorageAdapter } from "grammy";
import type { Logger } from "../../logger.js";
import { commandOf } from "../commands.js";
import type { BotContext } from "../context.js";
import type { Translate } from "../../i18n.js";

/**
 * How a password, passphrase or bot token travels from the chat to a service without ever
 * being written down in plaintext.
 *
 * The conversations plugin persists every update a dialog receives (its replay log lives in
 * SQLite), so a secret must never reach a dialog as text. Before a secret prompt the dialog
 * leaves a marker for its chat ("the next text message is a secret"). The scrubber middleware,
 * installed in front of every dialog, takes that next message, deletes it from the chat, keeps
 * its text in the in-memory vault and hands the dialog a placeholder (`SECRET_HANDLE_PREFIX` +
 * a random handle) instead. The dialog later passes the handle to the vault inside the one
 * `external` call that uses the secret (connection test, service `create`), which encrypts it.
 *
 * The vault lives only in memory: after a restart a dialog finds its handle gone and asks
 * for the secret again, which is the price of never storing it unencrypted.
 */

/** What a dialog sees instead of a secret's text. */
export const SECRET_HANDLE_PREFIX = "\u2063secret:";

/** Age secret keys are deleted and kept out of dialogs wherever they are pasted. */
const AGE_SECRET_KEY = /AGE-SECRET-KEY-1[0-9A-Z]{20,}/;

/** Kept this long at most; a dialog left open longer asks again. */
const VAULT_TTL_MS = 30 * 60 * 1000;

export interface SecretVault {
  /** Stores a secret for a chat; returns its handle. */
  put(chatId: number, value: string): string;
  /** The secret behind a handle of this chat, or undefined when it is gone (restart, expiry, other chat). */
  get(chatId: number, handle: string): string | undefined;
  drop(handle: string): void;
  /** Forgets every secret of a chat (dialog cancelled or finished). */
  dropChat(chatId: number): void;
}

export function createSecretVault(now: () => number = Date.now): SecretVault {
  const entries = new Map<string, { chatId: number; value: string; at: number }>();
  const sweep = () => {
    const limit = now() - VAULT_TTL_MS;
    for (const [h, e] of entries) if (e.at < limit) entries.delete(h);
  };
  return {
    put(chatId, value) {
      sweep();
      const handle = randomBytes(12).toString("base64url");
      entries.set(handle, { chatId, value, at: now() });
      return handle;
    },
    get(chatId, handle) {
      sweep();
      const e = entries.get(handle);
      return e && e.chatId === chatId ? e.value : undefined;
    },
    drop(handle) {
      entries.delete(handle);
    },
    dropChat(chatId) {
      for (const [h, e] of entries) if (e.chatId === chatId) entries.delete(h);
    },
  };
}

/** The handle in a placeholder text, or undefined for ordinary text. */
export function secretHandleOf(text: string | undefined): string | undefined {
  return text?.startsWith(SECRET_HANDLE_PREFIX) ? text.slice(SECRET_HANDLE_PREFIX.length) : undefined;
}

/** "The next text message in this chat is a secret": stored in `bot_storage`, so it survives a restart. */
export interface SecretPromptMarker {
  /** ms since epoch when the prompt was sent. */
  at: number;
}

export interface SecretPrompts {
  expect(chatId: number): Promise<void>;
  clear(chatId: number): Promise<void>;
  pending(chatId: number): Promise<boolean>;
}

export function createSecretPrompts(adapter: StorageAdapter<SecretPromptMarker>, now: () => number = Date.now): SecretPrompts {
  return {
    async expect(chatId) {
      await adapter.write(String(chatId), { at: now() });
    },
    async clear(chatId) {
      await adapter.delete(String(chatId));
    },
    async pending(chatId) {
      return (await adapter.read(String(chatId))) !== undefined;
    },
  };
}

export interface ScrubberDeps {
  vault: SecretVault;
  prompts: SecretPrompts;
  log: Logger;
  translate: Translate;
  locale: (ctx: BotContext) => Promise<string>;
}

/**
 * Middleware in front of the dialogs: takes the answer to a secret prompt (and any pasted age
 * secret key) out of the update before anything stores or logs it. Must run after the
 * conversations plugin (it asks which dialog is active) and before the dialogs themselves.
 */
export function secretScrubber(deps: ScrubberDeps): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    const message = ctx.message;
    const chatId = ctx.chat?.id;
    if (!message || message.text === undefined || chatId === undefined) return next();
    const text = message.text;
    const expected = await deps.prompts.pending(chatId);
    if (expected) await deps.prompts.clear(chatId);
    // The bot's commands are never taken for the secret; anything else starting with "/" (a path) is one.
    const secret = (expected && commandOf(text) === undefined) || AGE_SECRET_KEY.test(text);
    if (!secret) return next();

    let deleted = true;
    try {
      await ctx.api.deleteMessage(chatId, message.message_id);
    } catch (err) {
      deleted = false;
      // The error names the method and ids only, never the message text.
      deps.log.warn({ chatId, messageId: message.message_id, err: (err as Error).message }, "could not delete a message holding a secret");
    }
    const active = Object.keys(ctx.conversation.active()).length > 0;
    if (!active) {
      const locale = await deps.locale(ctx);
      const note = deps.translate(locale, "conv-secret-orphan");
      await ctx.reply(deleted ? note : `${note}\n${deps.translate(locale, "conv-secret-delete-failed")}`);
      return;
    }
    const handle = deps.vault.put(chatId, text);
    const mutable = message as { text: string; entities?: unknown };
    mutable.text = SECRET_HANDLE_PREFIX + handle;
    delete mutable.entities;
    if (!deleted) {
      const locale = await deps.locale(ctx);
      await ctx.reply(deps.translate(locale, "conv-secret-delete-failed"));
    }
    return next();
  };
}
