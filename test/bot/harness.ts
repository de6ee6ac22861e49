import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Bot } from "grammy";
import type { App } from "../../src/app.js";
import { createBot, startBot, whenIdle, type BotHandle } from "../../src/bot/bot.js";
import type { BotContext } from "../../src/bot/context.js";
import { botDepsFromApp, type BotDeps } from "../../src/bot/deps.js";
import { createBotStorage } from "../../src/bot/storage.js";
import { createI18n, translator } from "../../src/i18n.js";
import { createLogger } from "../../src/logger.js";
import type { Clock } from "../../src/scheduler/clock.js";
import { nextRuns } from "../../src/scheduler/cron.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import type { StoredMessage } from "../fake-telegram/state.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

export const ADMIN_ID = 111;

/**
 * A real Bot (createBot + startBot, long polling over HTTP) against the fake Bot API, with a
 * real app on a scratch DATA_DIR. `runJob` goes straight to the runner (no scheduler here).
 */
export interface Harness {
  fake: FakeTelegram;
  ws: Workspace;
  app: App;
  deps: BotDeps;
  bot: Bot<BotContext>;
  handle: BotHandle;
  /** A folder for a `local` destination. */
  backupsDir: string;
  /** Logged lines (JSON), for "what was logged" assertions. */
  logLines: string[];
  /** Stops the bot and builds a new one over the same database (a restart). */
  restart(): Promise<void>;
  /** The admin sends `text`; resolves with the bot's next new message in the admin chat. */
  say(text: string, chatId?: number): Promise<StoredMessage>;
  /** Presses the button labelled by `label` (substring or regex) under `message`; resolves when the bot has handled it. */
  press(message: StoredMessage | number, label: string | RegExp, chatId?: number): Promise<void>;
  /** The current state of a message (after edits). */
  current(messageId: number, chatId?: number): StoredMessage;
  /** Waits until `predicate` holds for some bot message in the chat (edits included). */
  waitForText(predicate: (text: string) => boolean, chatId?: number, timeoutMs?: number): Promise<StoredMessage>;
  lastBotMessageId(chatId?: number): number;
  /** Resolves once the bot handled every update it has received. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  progressIntervalMs?: number;
  /** The app's notifier posts through the fake (BOT_TOKEN set): success messages, alerts. */
  withNotifier?: boolean;
  /** TELEGRAM_SELF_HOSTED (default: auto, which counts the fake as a self-hosted server). */
  selfHosted?: boolean;
  /** Injected into the app (backups, retention, executor) and the bot's /status. */
  clock?: Clock;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const fake = await startFakeTelegram();
  const ws = createWorkspace({
    ADMIN_IDS: String(ADMIN_ID),
    TELEGRAM_API_ROOT: fake.apiRoot,
    ...(options.withNotifier ? { BOT_TOKEN: fake.token } : {}),
    ...(options.selfHosted !== undefined ? { TELEGRAM_SELF_HOSTED: String(options.selfHosted) } : {}),
  });
  const app = await ws.app({}, options.clock ? { clock: options.clock } : {});
  const backupsDir = path.join(ws.dir, "backups");
  mkdirSync(backupsDir, { recursive: true });
  fake.createUser({ id: ADMIN_ID, firstName: "Ada", languageCode: "en" });

  const logLines: string[] = [];
  const log = createLogger("info", { write: (line: string) => void logLines.push(line) });
  const translate = translator(createI18n());
  const deps: BotDeps = botDepsFromApp(app, {
    token: fake.token,
    apiRoot: fake.apiRoot,
    translate,
    log,
    storage: createBotStorage(app.botStorage),
    runJob: async (jobId, trigger, onProgress) => app.runner.run(await app.jobs.resolve(jobId), { trigger, onProgress }),
    nextRuns: (job, n) => nextRuns(job, n, new Date(), app.config.timezone),
    checkSource: async () => {},
    checkDestination: async () => {},
    progressIntervalMs: options.progressIntervalMs ?? 200,
    ...(options.clock ? { clock: options.clock } : {}),
  });

  const h = {
    fake, ws, app, deps, backupsDir, logLines,
    bot: createBot(deps),
  } as Harness;
  h.handle = await startBot(h.bot);

  h.restart = async () => {
    await h.handle.stop();
    h.bot = createBot(deps);
    h.handle = await startBot(h.bot);
  };
  h.lastBotMessageId = (chatId = ADMIN_ID) => Math.max(0, ...fake.messages(chatId).filter((m) => m.sent_by_bot !== undefined).map((m) => m.message_id));
  h.say = async (text, chatId = ADMIN_ID) => {
    const after = Math.max(0, ...fake.messages(chatId).map((m) => m.message_id));
    fake.sendUserMessage(ADMIN_ID, text, chatId === ADMIN_ID ? {} : { chatId });
    return fake.waitForBotMessage(chatId, { after });
  };
  h.press = async (message, label, chatId = ADMIN_ID) => {
    const msg = typeof message === "number" ? h.current(message, chatId) : h.current(message.message_id, chatId);
    const buttons = msg.reply_markup?.inline_keyboard?.flat() ?? [];
    const button = buttons.find((b) => (typeof label === "string" ? b.text.includes(label) : label.test(b.text)));
    if (!button || !("callback_data" in button) || !button.callback_data) {
      throw new Error(`no button ${String(label)} under message ${msg.message_id} (has: ${buttons.map((b) => b.text).join(" | ")})`);
    }
    const update = fake.pressButton(chatId, msg.message_id, button.callback_data);
    await fake.updateConfirmed(update);
    await whenIdle(h.bot);
  };
  h.idle = () => whenIdle(h.bot);
  h.current = (messageId, chatId = ADMIN_ID) => {
    const m = fake.messages(chatId).find((x) => x.message_id === messageId);
    if (!m) throw new Error(`no message ${messageId} in chat ${chatId}`);
    return m;
  };
  h.waitForText = (predicate, chatId = ADMIN_ID, timeoutMs = 20_000) =>
    fake
      .waitFor(
        () => fake.messages(chatId).find((m) => m.sent_by_bot !== undefined && predicate(m.text ?? m.caption ?? "")),
        timeoutMs,
        "a bot message matching the predicate",
      )
      .catch((err: Error) => {
        // Say what the bot did say, and what it logged: a timeout alone explains nothing.
        const said = fake.messages(chatId).filter((m) => m.sent_by_bot !== undefined).slice(-3).map((m) => m.text ?? m.caption);
        throw new Error(`${err.message}; last bot messages: ${JSON.stringify(said)}; last log lines: ${logLines.slice(-5).join(" | ")}`);
      });
  h.close = async () => {
    await h.handle.stop();
    await fake.close();
    app.close();
    ws.remove();
  };
  return h;
}

/** Every button label under a message. */
export function buttonsOf(m: StoredMessage): string[] {
  return (m.reply_markup?.inline_keyboard?.flat() ?? []).map((b) => b.text);
}
