import { run, sequentialize, type RunnerHandle } from "@grammyjs/runner";
import { Bot, session, type BotError, type MiddlewareFn } from "grammy";
import { createI18n, DEFAULT_LOCALE } from "../i18n.js";
import { CommandMenus } from "./command-menu.js";
import { initialSession, type BotContext } from "./context.js";
import { installConversations, registerDialogs } from "./conversations/index.js";
import type { BotDeps } from "./deps.js";
import { adoptFeature } from "./features/adopt.js";
import { alertsFeature } from "./features/alerts.js";
import { cancelFeature } from "./features/cancel.js";
import { destinationsFeature } from "./features/destinations.js";
import { discoverFeature } from "./features/discover.js";
import { helpFeature } from "./features/help.js";
import { jobsFeature } from "./features/jobs/index.js";
import { langFeature } from "./features/lang.js";
import { restoreFeature, restoreKeyFeature } from "./features/restore/index.js";
import { runsFeature } from "./features/runs.js";
import { sourcesFeature } from "./features/sources.js";
import { startFeature } from "./features/start.js";
import { statusFeature } from "./features/status.js";
import { unhandledFeature } from "./features/unhandled.js";
import { adminOnly, privateChatsOnly } from "./filters/admin.js";
import { NOOP } from "./keyboards/common.js";
import { negotiateLocale } from "./locale.js";
import { BackgroundTasks } from "./tasks.js";
import { botApiRetry } from "../telegram/api.js";
import { fetchConfigFor } from "../telegram/proxy.js";

/** The update types the bot asks Telegram for; everything else (channel posts, member updates, ...) is never delivered. */
export const ALLOWED_UPDATES = ["message", "callback_query"] as const;

/** What startBot/stopBot need besides the Bot itself; kept off the Bot's public surface. */
interface Runtime {
  deps: BotDeps;
  supported: readonly string[];
  tasks: BackgroundTasks;
  inFlight: Set<Promise<void>>;
  lastUpdateId: number;
  menus: CommandMenus;
}
const runtimes = new WeakMap<Bot<BotContext>, Runtime>();

/**
 * Builds the bot: admin guard → session (SQLite) → i18n → conversations → features → unhandled.
 * Makes no network call; `startBot` does. Middleware order:
 *  1. bookkeeping (update id, in-flight handlers for a clean stop)
 *  2. private chats only (channel posts and group messages are ignored)
 *  3. updates of one chat run one after another (runner `sequentialize`)
 *  4. i18n (the `/lang` choice from settings, else the app language, else English)
 *  5. ADMIN_IDS guard (one polite refusal, logged); after an admin's update their command menu
 *     follows their language (src/bot/command-menu.ts)
 *  6. session (SQLite `bot_storage`, namespace "session")
 *  7. the /restore key prompt, the dialogs' plugin and secret scrubber, /cancel (a dialog or a
 *     prompt), then the guided dialogs (src/bot/conversations)
 *  8. one Composer per feature, then the unhandled-update feature
 */
export function createBot(deps: BotDeps): Bot<BotContext> {
  const baseFetchConfig = fetchConfigFor(deps.proxy);
  const bot = new Bot<BotContext>(deps.token, { client: { apiRoot: deps.apiRoot, ...(baseFetchConfig ? { baseFetchConfig } : {}) } });
  bot.api.config.use(botApiRetry());

  let supported: readonly string[] = [DEFAULT_LOCALE];
  const i18n = createI18n<BotContext>({ localeNegotiator: (ctx) => negotiateLocale(deps.settings, supported, ctx, (id) => deps.adminIds.includes(id)) });
  supported = [...new Set(i18n.locales)];

  const menus = new CommandMenus(bot.api, deps, supported);
  const runtime: Runtime = { deps, supported, tasks: new BackgroundTasks(deps.log), inFlight: new Set(), lastUpdateId: 0, menus };
  runtimes.set(bot, runtime);

  bot.use(track(runtime));
  bot.use(privateChatsOnly);
  bot.use(sequentialize<BotContext>((ctx) => ctx.chat?.id.toString()));
  bot.use(i18n);
  bot.use(adminOnly(deps));
  bot.use(menus.follow);
  bot.use(session({ initial: initialSession, storage: deps.storage.adapter("session") }));
  bot.use(clearPromptOnCommand);

  // Ahead of the dialogs: an age private key for /restore must never reach their persisted replay log.
  bot.use(restoreKeyFeature(deps, runtime.tasks));
  const dialogs = installConversations(bot, deps);
  bot.use(cancelFeature(dialogs));
  registerDialogs(bot, dialogs);

  bot.callbackQuery(NOOP, (ctx) => ctx.answerCallbackQuery());
  bot.use(
    startFeature(deps),
    helpFeature(deps),
    langFeature(deps, supported),
    sourcesFeature(deps),
    destinationsFeature(deps),
    jobsFeature(deps, runtime.tasks),
    runsFeature(deps),
    statusFeature(deps),
    restoreFeature(deps, runtime.tasks),
    adoptFeature(deps),
    alertsFeature(deps),
    discoverFeature(deps),
  );
  bot.use(unhandledFeature());

  bot.catch((err) => onError(deps, err));
  return bot;
}

/** A running bot. */
export interface BotHandle {
  /**
   * Stops polling, lets handlers in progress finish, confirms the last update to Telegram (so a
   * restart does not see it again), aborts restores started from the chat and waits up to
   * `graceMs` (default 5 s) for background work to post its last message. Backups started with
   * "Run now" belong to the scheduler: stop it (and abort its runs) separately.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** Settles when polling ends (after `stop()`, or rejects on a fatal error such as a revoked token or a second poller). */
  readonly task: Promise<void> | undefined;
  readonly runner: RunnerHandle;
}

/**
 * Starts long polling with @grammyjs/runner: checks the token (getMe), registers the command
 * menu for each admin's private chat (none for anyone else), then polls. Throws when the token is rejected.
 */
export async function startBot(bot: Bot<BotContext>): Promise<BotHandle> {
  const runtime = runtimeOf(bot);
  const { deps } = runtime;
  await bot.init();
  await registerCommands(bot).catch((err: unknown) => deps.log.warn({ err: String(err) }, "bot: could not register the command menu"));
  const runner = run(bot, { runner: { fetch: { allowed_updates: ALLOWED_UPDATES }, silent: true } });
  deps.log.info({ username: bot.botInfo.username }, "bot: polling for updates");
  let stopping: Promise<void> | null = null;
  return {
    runner,
    get task() {
      return runner.task();
    },
    stop: (options = {}) =>
      (stopping ??= (async () => {
        if (runner.isRunning()) await runner.stop();
        await whenIdle(bot);
        if (runtime.lastUpdateId > 0) {
          await bot.api.getUpdates({ offset: runtime.lastUpdateId + 1, limit: 1, timeout: 0 }).catch((err: unknown) => {
            deps.log.warn({ err: String(err) }, "bot: could not confirm the last update");
          });
        }
        runtime.tasks.abortAll(new Error("the bot is stopping"));
        const graceMs = options.graceMs ?? 5000;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([runtime.tasks.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
        clearTimeout(timer);
        deps.log.info("bot: stopped");
      })()),
  };
}

/** The command menu in each admin's private chat, in their language; none for anyone else (src/bot/command-menu.ts). */
export async function registerCommands(bot: Bot<BotContext>): Promise<void> {
  await runtimeOf(bot).menus.registerAll();
}

/** Resolves once no update is being handled (background runs and restores excluded). For tests and shutdown. */
export async function whenIdle(bot: Bot<BotContext>): Promise<void> {
  const { inFlight } = runtimeOf(bot);
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
}

function runtimeOf(bot: Bot<BotContext>): Runtime {
  const runtime = runtimes.get(bot);
  if (!runtime) throw new Error("this Bot was not made by createBot()");
  return runtime;
}

function track(runtime: Runtime): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    runtime.lastUpdateId = Math.max(runtime.lastUpdateId, ctx.update.update_id);
    const handled = next();
    runtime.inFlight.add(handled);
    try {
      await handled;
    } finally {
      runtime.inFlight.delete(handled);
    }
  };
}

/** A new command abandons a pending text prompt (a schedule, a restore confirmation); /cancel reports it. */
const clearPromptOnCommand: MiddlewareFn<BotContext> = async (ctx, next) => {
  const text = ctx.message?.text;
  if (text?.startsWith("/") && !/^\/cancel(@\w+)?(\s|$)/.test(text) && ctx.session.prompt) delete ctx.session.prompt;
  await next();
};

async function onError(deps: BotDeps, err: BotError<BotContext>): Promise<void> {
  const ctx = err.ctx;
  deps.log.error({ err: err.error, updateId: ctx.update.update_id }, "bot: an update failed");
  if (ctx.chat?.type !== "private") return;
  const text = typeof ctx.t === "function" ? ctx.t("error-generic") : deps.translate(DEFAULT_LOCALE, "error-generic");
  await ctx.reply(text).catch(() => {});
}
