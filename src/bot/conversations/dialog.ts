import type { Conversation } from "@grammyjs/conversations";
import type { Context } from "grammy";
import type { InlineKeyboardButton, InlineKeyboardMarkup, Message } from "grammy/types";
import { DEFAULT_LOCALE, type TranslateParams } from "../../i18n.js";
import type { BotContext } from "../context.js";
import type { BotDeps } from "../deps.js";
import { commandOf } from "../commands.js";
import { secretHandleOf, type SecretPrompts, type SecretVault } from "./secrets.js";

/** A dialog's handle: outside context = the bot's, inside = plain contexts built by the plugin. */
export type Convo = Conversation<BotContext, Context>;

/** What every dialog is entered with (JSON, persisted with the dialog). */
export interface DialogArgs {
  /** The user's language when the dialog started. */
  locale: string;
}

/** Shared pieces each dialog receives from `installConversations`. */
export interface DialogEnv {
  deps: BotDeps;
  vault: SecretVault;
  prompts: SecretPrompts;
}

export interface Choice {
  /** Short code carried in callback data (64 bytes in all). */
  value: string;
  label: string;
}

export type Answer =
  | { kind: "button"; value: string }
  | { kind: "text"; text: string; message: Message }
  | { kind: "secret"; handle: string };

export interface AskOptions {
  choices?: Choice[][];
  /** Accept a typed answer (default: only when there are no buttons). */
  text?: boolean;
  /** Accept a forwarded message of any kind (the chat it came from is the answer). */
  forward?: boolean;
  /** The answer is a secret: the scrubber takes it out of the update and deletes it. */
  secret?: boolean;
}

export type Parsed<T> = { ok: T } | { error: string };

const CALLBACK_PREFIX = "cv";

/**
 * Commands that only show something (/status, /logs, /help, /lang): sent during a dialog they are
 * answered by their usual handlers and the dialog keeps waiting for its answer. Any other command
 * ends the dialog ("you left …").
 */
const READ_ONLY_COMMANDS: ReadonlySet<string> = new Set(["start", "help", "status", "logs", "lang"]);

/**
 * The longest typed answer any prompt takes (host names, paths, cron lines, names, secrets all
 * fit). A longer one is refused with the limit and asked again: echoed back (e.g. "Testing the
 * connection to …") it would overflow Telegram's 4096-character message limit.
 */
export const MAX_ANSWER_LENGTH = 1024;
/** Telegram's limit for one message's text. */
const MAX_MESSAGE_LENGTH = 4096;

/** Text cut to fit one Telegram message (a safety net: every echoed value is already bounded). */
export function clipMessage(text: string): string {
  return text.length <= MAX_MESSAGE_LENGTH ? text : `${text.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
}

/**
 * One running dialog: translation in the user's language, prompts with inline buttons, and
 * answers that are validated and re-asked. Everything here is deterministic given the
 * recorded updates and `external` results, as the conversations plugin's replays require.
 *
 * Messages are spared where Telegram allows: a prompt answered with a button (or with a secret
 * the scrubber deleted) has nothing below it, so the dialog's next message replaces its text and
 * buttons (the answer shows under the question meanwhile; the review step recaps them all). A
 * refused answer gets one message: the reason above the question and its buttons.
 */
export class Dialog {
  private counter = 0;
  /** The last prompt, answered with a button: the next message replaces it. Rebuilt by replays like all state here. */
  private spare: number | undefined;

  private constructor(
    readonly convo: Convo,
    readonly ctx: Context,
    readonly env: DialogEnv,
    readonly locale: string,
    /** Distinguishes this dialog's buttons from those of earlier dialogs in the same chat. */
    private readonly nonce: string,
    readonly chatId: number,
    /** Locale key naming the dialog ("conv-dialog-new-source"), for "you left …". */
    private readonly nameKey: string,
  ) {}

  static async open(convo: Convo, ctx: Context, env: DialogEnv, args: DialogArgs | undefined, nameKey: string): Promise<Dialog> {
    const nonce = Math.floor((await convo.random()) * 36 ** 4).toString(36);
    const chatId = ctx.chat?.id;
    if (chatId === undefined) throw new Error("a dialog needs a chat");
    return new Dialog(convo, ctx, env, args?.locale ?? DEFAULT_LOCALE, nonce, chatId, nameKey);
  }

  get deps(): BotDeps {
    return this.env.deps;
  }

  t(key: string, params?: TranslateParams): string {
    return this.env.deps.translate(this.locale, key, params);
  }

  /** Runs `fn` once (its result is recorded and replayed). `fn` must not throw and must return JSON. */
  external<R>(fn: () => R | Promise<R>): Promise<R> {
    return this.convo.external(() => fn());
  }

  /** Says `text` (with buttons): in place of the last prompt when it was answered with a button, else as a new message. */
  async say(text: string, choices?: Choice[][], token?: string): Promise<Message.TextMessage> {
    return this.post(text, choices ? this.keyboard(token ?? this.nextToken(), choices) : undefined);
  }

  private async post(text: string, markup: InlineKeyboardMarkup | undefined): Promise<Message.TextMessage> {
    const spare = this.spare;
    this.spare = undefined;
    const extra = markup ? { reply_markup: markup } : {};
    if (spare !== undefined) {
      try {
        const edited = await this.ctx.api.editMessageText(this.chatId, spare, clipMessage(text), extra);
        if (typeof edited === "object") return edited as Message.TextMessage;
      } catch {
        // deleted by the user, or too old to edit: say it anew
      }
    }
    return this.ctx.api.sendMessage(this.chatId, clipMessage(text), extra);
  }

  /** Shows the answer under the answered prompt (its buttons gone) and lets the next message replace it. */
  private async answered(sent: Message.TextMessage, text: string, answer: string): Promise<void> {
    await this.quietly(() => this.ctx.api.editMessageText(this.chatId, sent.message_id, clipMessage(`${text}\n\n→ ${answer}`)));
    this.spare = sent.message_id;
  }

  /** A refused answer: the reason and the question again in one new message (the old prompt loses its buttons). */
  private async reask(sent: Message.TextMessage, problem: string, text: string, choices: Choice[][], token: string): Promise<Message.TextMessage> {
    if (choices.length > 0) await this.removeKeyboard(sent);
    return this.say(`${this.t("conv-problem", { reason: problem })}\n\n${text}`, choices.length > 0 ? choices : undefined, token);
  }

  /** Asks once and returns the first acceptable answer (buttons of this prompt, text, forward, secret). */
  async ask(text: string, options: AskOptions = {}): Promise<Answer> {
    const token = this.nextToken();
    const choices = options.choices ?? [];
    const acceptText = options.text ?? choices.length === 0;
    const labels = new Map(choices.flat().map((c) => [c.value, c.label]));
    if (options.secret) await this.external(() => this.env.prompts.expect(this.chatId));
    let sent = await this.say(text, choices.length > 0 ? choices : undefined, token);
    for (;;) {
      const u = await this.convo.wait();
      const query = u.callbackQuery;
      if (query) {
        const m = new RegExp(`^${CALLBACK_PREFIX}:([^:]+):(.*)$`).exec(query.data ?? "");
        if (!m) return this.convo.skip({ next: true }); // a menu's button: not ours
        if (m[1] !== token || !labels.has(m[2]!)) {
          await this.quietly(() => u.answerCallbackQuery({ text: this.t("conv-stale-button") }));
          continue;
        }
        await this.quietly(() => u.answerCallbackQuery());
        if (options.secret) await this.external(() => this.env.prompts.clear(this.chatId));
        await this.answered(sent, text, labels.get(m[2]!)!);
        return { kind: "button", value: m[2]! };
      }
      const msg = u.message;
      if (!msg) return this.convo.skip({ next: true });

      const handle = secretHandleOf(msg.text);
      if (handle !== undefined) {
        if (options.secret) {
          // The scrubber deleted the message: the prompt is the chat's last message again.
          await this.answered(sent, text, this.t("conv-secret-received"));
          return { kind: "secret", handle };
        }
        // An age secret key pasted at an ordinary prompt: the scrubber already deleted it.
        await this.external(() => this.env.vault.drop(handle));
        sent = await this.reask(sent, this.t("conv-secret-key-deleted"), text, choices, token);
        continue;
      }
      const command = commandOf(msg.text);
      if (command && READ_ONLY_COMMANDS.has(command)) return this.convo.skip({ next: true });
      if (command) await this.leave();
      if (options.secret && msg.text !== undefined) {
        // The scrubber did not take it (its marker was lost): delete it and ask again.
        await this.quietly(() => u.deleteMessage());
        await this.external(() => this.env.prompts.expect(this.chatId));
        sent = await this.reask(sent, this.t("conv-secret-resend"), text, choices, token);
        continue;
      }
      if (options.forward && msg.forward_origin) {
        if (choices.length > 0) await this.removeKeyboard(sent);
        return { kind: "text", text: msg.text ?? msg.caption ?? "", message: msg };
      }
      if (acceptText && msg.text !== undefined) {
        if (msg.text.length > MAX_ANSWER_LENGTH) {
          const problem = this.t("conv-too-long", { length: String(msg.text.length), max: String(MAX_ANSWER_LENGTH) });
          sent = await this.reask(sent, problem, text, choices, token);
          continue;
        }
        if (choices.length > 0) await this.removeKeyboard(sent);
        return { kind: "text", text: msg.text, message: msg };
      }
      sent = await this.reask(sent, this.t(acceptText ? "conv-send-text" : "conv-use-buttons"), text, choices, token);
    }
  }

  /** Buttons only. */
  async choose(text: string, choices: Choice[][]): Promise<string> {
    const answer = await this.ask(text, { choices, text: false });
    return answer.kind === "button" ? answer.value : "";
  }

  /**
   * Asks until `parse` accepts the answer; a refused answer is re-asked with the reason
   * above the question. `parse` may call `external` (e.g. to see whether a name is taken).
   */
  async askValid<T>(text: string, parse: (answer: Answer) => Parsed<T> | Promise<Parsed<T>>, options: AskOptions = {}): Promise<T> {
    let prompt = text;
    for (;;) {
      const result = await parse(await this.ask(prompt, options));
      if ("ok" in result) return result.ok;
      prompt = `${this.t("conv-problem", { reason: result.error })}\n\n${text}`;
    }
  }

  /** Multi-select with toggle buttons and Done; at least `min` must be chosen. Returns the chosen values in list order. */
  async multiSelect(text: string, items: Choice[], min: number, initial: string[] = []): Promise<string[]> {
    const token = this.nextToken();
    const chosen = new Set(initial);
    const markup = () =>
      this.keyboard(token, [
        ...items.map((i) => [{ value: `t${items.indexOf(i)}`, label: `${chosen.has(i.value) ? "✅" : "▫️"} ${i.label}` }]),
        [{ value: "done", label: this.t("conv-btn-done") }],
      ]);
    let sent = await this.post(text, markup());
    /** A typed message instead of a button: the reason and the list again, below it. */
    const reask = async (problem: string) => {
      await this.removeKeyboard(sent);
      sent = await this.post(`${this.t("conv-problem", { reason: problem })}\n\n${text}`, markup());
    };
    for (;;) {
      const u = await this.convo.wait();
      const query = u.callbackQuery;
      if (!query) {
        const msg = u.message;
        if (!msg) return this.convo.skip({ next: true });
        const handle = secretHandleOf(msg.text);
        if (handle !== undefined) {
          await this.external(() => this.env.vault.drop(handle));
          await reask(this.t("conv-secret-key-deleted"));
          continue;
        }
        const command = commandOf(msg.text);
        if (command && READ_ONLY_COMMANDS.has(command)) return this.convo.skip({ next: true });
        if (command) await this.leave();
        await reask(this.t("conv-use-buttons"));
        continue;
      }
      const m = new RegExp(`^${CALLBACK_PREFIX}:([^:]+):(.*)$`).exec(query.data ?? "");
      if (!m) return this.convo.skip({ next: true });
      const value = m[2]!;
      if (m[1] !== token) {
        await this.quietly(() => u.answerCallbackQuery({ text: this.t("conv-stale-button") }));
        continue;
      }
      if (value === "done") {
        if (chosen.size < min) {
          await this.quietly(() => u.answerCallbackQuery({ text: this.t("conv-select-at-least", { n: min }), show_alert: true }));
          continue;
        }
        await this.quietly(() => u.answerCallbackQuery());
        const result = items.filter((i) => chosen.has(i.value));
        await this.answered(sent, text, result.map((i) => i.label).join(", "));
        return result.map((i) => i.value);
      }
      const item = /^t(\d+)$/.exec(value) ? items[Number(value.slice(1))] : undefined;
      if (!item) {
        await this.quietly(() => u.answerCallbackQuery({ text: this.t("conv-stale-button") }));
        continue;
      }
      if (chosen.has(item.value)) chosen.delete(item.value);
      else chosen.add(item.value);
      await this.quietly(() => u.answerCallbackQuery());
      await this.quietly(() => this.ctx.api.editMessageReplyMarkup(this.chatId, sent.message_id, { reply_markup: markup() }));
    }
  }

  /** Ends the dialog because the user sent another command, and passes the command on (/cancel never gets here: features/cancel.ts ends dialogs). */
  private async leave(): Promise<never> {
    await this.external(async () => {
      this.env.vault.dropChat(this.chatId);
      await this.env.prompts.clear(this.chatId);
    });
    await this.say(this.t("conv-left", { dialog: this.t(this.nameKey) }));
    return this.convo.halt({ next: true });
  }

  /** Forgets the dialog's secrets (after saving, or when it ends). */
  async forgetSecrets(): Promise<void> {
    await this.external(async () => {
      this.env.vault.dropChat(this.chatId);
      await this.env.prompts.clear(this.chatId);
    });
  }

  private async removeKeyboard(sent: Message.TextMessage): Promise<void> {
    await this.quietly(() => this.ctx.api.editMessageReplyMarkup(this.chatId, sent.message_id));
  }

  /** Cosmetic Bot API calls (answering a button, removing a keyboard) must not end the dialog when they fail. */
  private async quietly(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch {
      // e.g. "message is not modified" or an expired callback query: nothing to do
    }
  }

  private nextToken(): string {
    this.counter += 1;
    return `${this.nonce}${this.counter.toString(36)}`;
  }

  private keyboard(token: string, choices: Choice[][]): InlineKeyboardMarkup {
    const rows: InlineKeyboardButton[][] = choices.map((row) =>
      row.map((c) => ({ text: c.label, callback_data: `${CALLBACK_PREFIX}:${token}:${c.value}` })),
    );
    return { inline_keyboard: rows };
  }
}
