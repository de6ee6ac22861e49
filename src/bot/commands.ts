import type { Api } from "grammy";
import type { LanguageCode } from "grammy/types";
import type { Translate } from "../i18n.js";

/**
 * Every command the bot answers, in the order /help and the Telegram command menu show them:
 * the one list. Descriptions are the `cmd-<command>` keys of locales/<lang>/bot.ftl.
 * /newsource, /newdest and /newjob are handled by src/bot/conversations/.
 */
export const COMMANDS = [
  "start",
  "help",
  "newsource",
  "newdest",
  "newjob",
  "discover",
  "sources",
  "destinations",
  "jobs",
  "runnow",
  "logs",
  "status",
  "restore",
  "adopt",
  "lang",
  "cancel",
] as const;

export type CommandName = (typeof COMMANDS)[number];

export const commandDescriptionKey = (command: CommandName): string => `cmd-${command}`;

/** The command menu in `lang`: what setMyCommands registers and what /help lists. */
export function commandMenu(translate: Translate, lang: string): Array<{ command: CommandName; description: string }> {
  return COMMANDS.map((command) => ({ command, description: translate(lang, commandDescriptionKey(command)) }));
}

const KNOWN: ReadonlySet<string> = new Set(COMMANDS);

/** The bot command a message starts with ("/newjob", "/runnow@bot app"), lower-cased; paths such as "/srv" are not commands. */
export function commandOf(text: string | undefined): CommandName | undefined {
  const m = /^\/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s|$)/.exec(text?.trim() ?? "");
  const name = m?.[1]?.toLowerCase();
  return name && KNOWN.has(name) ? (name as CommandName) : undefined;
}

/**
 * The command menu only where admins talk to the bot: each admin's private chat gets it
 * (`BotCommandScopeChat`) in that admin's language; the default scope, and its per-language
 * variants an older version registered, get an empty menu, so strangers see no commands.
 * An admin who never opened the bot cannot be given a menu yet (Telegram: chat not found):
 * `failed` lists them, the rest still get theirs.
 */
export async function registerCommandMenus(
  api: Pick<Api, "setMyCommands">,
  translate: Translate,
  admins: ReadonlyArray<{ id: number; locale: string }>,
  supported: readonly string[],
): Promise<{ failed: number[] }> {
  await api.setMyCommands([]);
  for (const lang of supported) await api.setMyCommands([], { language_code: lang as LanguageCode });
  const failed: number[] = [];
  for (const admin of admins) {
    await api.setMyCommands(commandMenu(translate, admin.locale), { scope: { type: "chat", chat_id: admin.id } }).catch(() => failed.push(admin.id));
  }
  return { failed };
}
