import { conversations, createConversation, type ConversationData, type VersionedState } from "@grammyjs/conversations";
import type { Bot, Context, Middleware } from "grammy";
import type { BotContext } from "../context.js";
import type { BotDeps } from "../deps.js";
import { localeOf } from "../locale.js";
import type { Convo, DialogArgs, DialogEnv } from "./dialog.js";
import { registerEditJob } from "./edit-job.js";
import { editDestinationConversation } from "./edit-destination.js";
import { editSourceConversation } from "./edit-source.js";
import { newDestinationConversation } from "./new-destination.js";
import { newJobConversation } from "./new-job.js";
import { newSourceConversation } from "./new-source.js";
import { replaySafeRetry } from "./retry.js";
import type { EditArgs } from "./steps.js";
import { createSecretPrompts, createSecretVault, secretScrubber, type SecretPromptMarker } from "./secrets.js";

/**
 * The guided creation dialogs (@grammyjs/conversations v2): /newsource, /newdest, /newjob.
 *
 * Installed in two calls (after the bot core's session, i18n and admin filter), so that the
 * bot's one /cancel (src/bot/features/cancel.ts) sits between them and ends a dialog before the
 * dialog sees the command: `installConversations` (conversations plugin with state in SQLite,
 * secret scrubber) → /cancel → `registerDialogs` (the dialogs, their entry commands). Updates a
 * dialog does not want (menu buttons) go on to the middleware registered after them.
 */

export const CONVERSATION_IDS = {
  newSource: "new-source",
  newDestination: "new-destination",
  newJob: "new-job",
  editSource: "edit-source",
  editDestination: "edit-destination",
} as const;
export type ConversationId = (typeof CONVERSATION_IDS)[keyof typeof CONVERSATION_IDS];

/**
 * Bump when a dialog changes in a way that invalidates half-finished dialogs saved by an older
 * version (their replay would no longer match); such dialogs are then dropped instead of replayed.
 */
export const CONVERSATION_STATE_VERSION = 2;

/**
 * Starts a dialog from a command or a menu button, leaving any dialog the chat is in.
 * The bot core's menus can call this (e.g. a "➕ New source" button).
 */
export async function startConversation(ctx: BotContext, id: ConversationId): Promise<void> {
  await ctx.conversation.exitAll();
  const args: DialogArgs = { locale: await localeOf(ctx) };
  await ctx.conversation.enter(id, args);
}

/** Starts a source's or destination's edit dialog (its card's ✏️ Edit), leaving any dialog the chat is in. */
export async function startEditDialog(ctx: BotContext, id: ConversationId, entityId: number): Promise<void> {
  await ctx.conversation.exitAll();
  const args: EditArgs = { locale: await localeOf(ctx), id: entityId };
  await ctx.conversation.enter(id, args);
}

/** What the rest of the bot may do with the dialogs of a chat. */
export interface Dialogs {
  readonly env: DialogEnv;
  /** Leaves the chat's dialog, if any, and forgets its secrets; true when one was left. */
  leave(ctx: BotContext): Promise<boolean>;
}

/** Installs the conversations plugin and the secret scrubber (the dialogs come with `registerDialogs`). */
export function installConversations(bot: Bot<BotContext>, deps: BotDeps): Dialogs {
  const vault = createSecretVault();
  const prompts = createSecretPrompts(deps.storage.adapter<SecretPromptMarker>("secretprompt"));
  const env: DialogEnv = { deps, vault, prompts };

  // Contexts inside a dialog get a fresh Api client from the plugin (recording every result for
  // replays). Give it retries that a replay does not sleep through again, then the transformers
  // the bot core installed on bot.api (auto-retry, …), read when each context is built.
  const apiPlugins = (conversation: Convo): Middleware<Context>[] => [
    async (ctx, next) => {
      ctx.api.config.use(replaySafeRetry({ now: () => conversation.now() }));
      ctx.api.config.use(...bot.api.config.installedTransformers());
      await next();
    },
  ];

  bot.use(
    conversations<BotContext, Context>({
      storage: {
        type: "key",
        version: CONVERSATION_STATE_VERSION,
        adapter: deps.storage.adapter<VersionedState<ConversationData>>("conversations"),
      },
      plugins: apiPlugins,
    }),
  );

  // A dialog that fails for any reason (a Bot API error, a bug) drops the secrets of its chat:
  // nothing typed into a dead dialog may wait in memory for the vault's expiry.
  bot.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (ctx.chat) {
        vault.dropChat(ctx.chat.id);
        await prompts.clear(ctx.chat.id).catch(() => {});
      }
      throw err;
    }
  });

  bot.use(secretScrubber({ vault, prompts, log: deps.log, translate: deps.translate, locale: localeOf }));

  return {
    env,
    async leave(ctx) {
      if (Object.keys(ctx.conversation.active()).length === 0) return false;
      await ctx.conversation.exitAll();
      if (ctx.chat) {
        vault.dropChat(ctx.chat.id);
        await prompts.clear(ctx.chat.id);
      }
      return true;
    },
  };
}

/** The dialogs and their entry commands /newsource, /newdest, /newjob. */
export function registerDialogs(bot: Bot<BotContext>, { env }: Dialogs): void {
  bot.use(createConversation(newSourceConversation(env), CONVERSATION_IDS.newSource));
  bot.use(createConversation(newDestinationConversation(env), CONVERSATION_IDS.newDestination));
  bot.use(createConversation(newJobConversation(env), CONVERSATION_IDS.newJob));
  bot.use(createConversation(editSourceConversation(env), CONVERSATION_IDS.editSource));
  bot.use(createConversation(editDestinationConversation(env), CONVERSATION_IDS.editDestination));
  registerEditJob(bot, env);

  bot.command("newsource", (ctx) => startConversation(ctx, CONVERSATION_IDS.newSource));
  bot.command("newdest", (ctx) => startConversation(ctx, CONVERSATION_IDS.newDestination));
  bot.command("newjob", (ctx) => startConversation(ctx, CONVERSATION_IDS.newJob));
}
