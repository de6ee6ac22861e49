import { GrammyError, type InlineKeyboard } from "grammy";
import { InUseError, NotFoundError, ValidationError, type Issue } from "../services/errors.js";
import { renderTranslatable } from "../shared/translatable.js";
import type { BotContext } from "./context.js";
import { clip } from "./format.js";

/**
 * Shows a screen: edits the message whose button was pressed (menus stay one message),
 * or sends a new message for a command.
 */
export async function show(ctx: BotContext, text: string, keyboard?: InlineKeyboard): Promise<void> {
  if (ctx.callbackQuery?.message) {
    try {
      await ctx.editMessageText(text, keyboard ? { reply_markup: keyboard } : {});
      return;
    } catch (err) {
      if (err instanceof GrammyError && err.description.includes("message is not modified")) return;
      // too old to edit, deleted, ...: fall back to a new message
    }
  }
  await ctx.reply(text, keyboard ? { reply_markup: keyboard } : {});
}

/** Telegram's limit is 4096 characters; keep a margin. */
const MESSAGE_LIMIT = 4000;

/**
 * Sends `head` and `blocks` (separated by blank lines) in as few messages as fit the length
 * limit, never splitting a block; the keyboard goes under the last message.
 */
export async function replyBlocks(ctx: BotContext, head: string, blocks: readonly string[], keyboard?: InlineKeyboard): Promise<void> {
  const messages: string[] = [];
  let current = head;
  for (const block of blocks) {
    const piece = block.length > MESSAGE_LIMIT - 10 ? `${block.slice(0, MESSAGE_LIMIT - 11)}…` : block;
    if (current.length + 2 + piece.length > MESSAGE_LIMIT) {
      messages.push(current);
      current = piece;
    } else current = current ? `${current}\n\n${piece}` : piece;
  }
  messages.push(current);
  for (const [i, text] of messages.entries()) {
    await ctx.reply(text, i === messages.length - 1 && keyboard ? { reply_markup: keyboard } : {});
  }
}

/** Answers a button press (stops the spinner), optionally with a short toast. */
export async function answer(ctx: BotContext, text?: string, alert = false): Promise<void> {
  if (!ctx.callbackQuery) return;
  await ctx.answerCallbackQuery(text === undefined ? undefined : { text: clip(text, 190), show_alert: alert }).catch(() => {});
}

/** A service error as the user should read it. */
export function errorText(ctx: BotContext, err: unknown): string {
  if (err instanceof InUseError) return ctx.t("error-in-use", { name: err.entityName, jobs: err.jobs.join(", ") });
  if (err instanceof NotFoundError) return ctx.t("error-not-found");
  if (err instanceof ValidationError) return ctx.t("error-invalid", { details: err.issues.map((i) => issueText(ctx.t.bind(ctx), i)).join("\n") });
  return ctx.t("error-failed", { reason: clip(err instanceof Error ? err.message : String(err), 500) });
}

/** A configuration issue in the reader's language: its path (the YAML names) and its message (validation.ftl). */
export function issueText(t: (key: string, params?: Record<string, string | number>) => string, issue: Issue): string {
  const message = renderTranslatable((_locale, key, params) => t(key, params), "", issue);
  return issue.path ? `${issue.path}: ${message}` : message;
}

/** The number in a regex match group (callback data). */
export function num(match: RegExpMatchArray | string | undefined | null, index = 1): number {
  const s = typeof match === "string" || match == null ? match : match[index];
  return Number(s ?? NaN);
}

/** The text after a command: "/logs app-db" → "app-db". */
export function commandArg(ctx: BotContext): string {
  return typeof ctx.match === "string" ? ctx.match.trim() : "";
}
