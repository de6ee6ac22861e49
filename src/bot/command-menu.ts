import type { Api, MiddlewareFn } from "grammy";
import type { Translate } from "../i18n.js";
import type { Logger } from "../logger.js";
import type { SettingsRepo } from "../repos/settings.repo.js";
import { registerCommandMenus, commandMenu } from "./commands.js";
import type { BotContext } from "./context.js";
import { storedLocale } from "./locale.js";

interface MenuDeps {
  adminIds: readonly number[];
  settings: SettingsRepo;
  translate: Translate;
  log: Logger;
}

/**
 * The admins' command menus (`BotCommandScopeChat`, one per admin, in their language) and nobody
 * else's. Registered at start; an admin whose language changes (`/lang`, or the Telegram app
 * language first seen) gets their menu again in it after that update.
 */
export class CommandMenus {
  /** The language each admin's menu was last registered in. */
  private readonly shown = new Map<number, string>();

  constructor(
    private readonly api: Pick<Api, "setMyCommands">,
    private readonly deps: MenuDeps,
    private readonly supported: readonly string[],
  ) {}

  async registerAll(): Promise<void> {
    const admins = this.deps.adminIds.map((id) => ({ id, locale: this.localeOf(id) }));
    const { failed } = await registerCommandMenus(this.api, this.deps.translate, admins, this.supported);
    for (const a of admins) if (!failed.includes(a.id)) this.shown.set(a.id, a.locale);
    if (failed.length) this.deps.log.warn({ admins: failed }, "bot: no command menu yet for admins who have not opened the bot");
  }

  /** Middleware: after an admin's update, their menu follows their language. */
  readonly follow: MiddlewareFn<BotContext> = async (ctx, next) => {
    await next();
    const id = ctx.from?.id;
    if (id === undefined || !this.deps.adminIds.includes(id) || ctx.chat?.type !== "private") return;
    const locale = this.localeOf(id);
    if (this.shown.get(id) === locale) return;
    this.shown.set(id, locale);
    await this.api
      .setMyCommands(commandMenu(this.deps.translate, locale), { scope: { type: "chat", chat_id: id } })
      .catch((err: unknown) => this.deps.log.warn({ err: String(err) }, "bot: could not update an admin's command menu"));
  };

  private localeOf(id: number): string {
    return storedLocale(this.deps.settings, this.supported, id);
  }
}
