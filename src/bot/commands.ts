/**
 * Every command the bot answers, in the order /help and the Telegram command menu show them.
 * Descriptions are the `cmd-<command>` keys of locales/<lang>/bot.ftl.
 * /newsource, /newdest and /newjob are handled by src/bot/conversations/.
 */
export const COMMANDS = [
  "start",
  "help",
  "newsource",
  "newdest",
  "newjob",
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
