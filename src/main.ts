/**
 * The composition root and the only module that may exit the process.
 * config → logger → db (+ migrations) → repositories → services → engine → command.
 *
 * The built command (dist/main.js) starts node with its flags and allocator settings:
 * scripts/launcher.mjs says which and why.
 */
import { existsSync } from "node:fs";
import type { AppConfig } from "./config/env.js";
import { dataDirFrom, dbFileIn } from "./config/paths.js";
import type { App, AppStore } from "./app.js";
import type { EarlyKey } from "./crypto/kdf.js";
import { parseCommand, UsageError } from "./cli/parse.js";
import { cliLocale, cliMessages, type CliText } from "./cli/messages.js";

let messages: CliText | undefined;
/** The CLI's messages, in the language of LANG (loaded once, on first use). */
const text = (): CliText => (messages ??= cliMessages(cliLocale(process.env)));

async function main(argv: string[]): Promise<number> {
  // Private on disk whatever the caller's umask: every file this process (and its children)
  // creates is 0600 and every folder 0700 (database, spool, parts, manifests, restores, exports).
  process.umask(0o077);
  let command;
  try {
    command = parseCommand(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`tele-backup: ${err.key ? text()(err.key, err.params) : err.message}\n\n${text()("cli-usage")}\n`);
      return 2;
    }
    throw err;
  }
  if (command.name === "help") {
    process.stdout.write(text()("cli-usage") + "\n");
    return 0;
  }
  // A `.env` in the current folder, as `docker compose` would read it; the environment wins.
  // (process.loadEnvFile exists from Node 20.12 on.)
  if (existsSync(".env") && typeof process.loadEnvFile === "function") process.loadEnvFile(".env");
  // The master key's scrypt (a third of a second here) starts before anything else loads, even
  // the configuration, and runs on libuv's thread pool while the main thread loads the
  // application; `--help` and `health` load none of it.
  const keying = command.name === "health" ? undefined : startKeyDerivation(process.env);
  keying?.catch(() => {}); // awaited by openStore; until then not an unhandled rejection
  const { loadConfig } = await import("./config/env.js");
  const config = loadConfig(process.env, { requireBot: command.name === "run" });
  if (command.name === "health") return health(config, text());
  const opening = openStore(config, keying);
  opening.catch(() => {}); // awaited below; until then not an unhandled rejection
  const [{ createLogger }, { runCommand }] = await Promise.all([import("./logger.js"), import("./cli/commands.js")]);
  // Commands print their own results; their logs stay quiet unless LOG_LEVEL asks otherwise.
  const log = createLogger(process.env.LOG_LEVEL || command.name === "run" ? config.logLevel : "warn");
  const { buildApp } = await import("./app.js");
  // The main thread is idle here until the scrypt ends (buildApp waits for the key).
  warmUp();
  const app = await buildApp(config, log, process.env, { store: await opening });
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => abort.abort(new Error(`received ${sig}`));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  if (command.name === "run") {
    try {
      return await run(app, abort.signal);
    } catch (err) {
      const { DaemonLockedError } = await import("./lifecycle/daemon-lock.js");
      if (!(err instanceof DaemonLockedError)) throw err;
      const h = err.holder;
      process.stderr.write(`tele-backup: ${h ? text()("cli-run-already-running", { pid: String(h.pid), host: h.host, since: h.since }) : text()("cli-run-already-running-unknown")}\n`);
      return 1;
    } finally {
      app.close();
    }
  }
  try {
    return await runCommand(app, command, { text: text(), stdout: process.stdout, stderr: process.stderr, signal: abort.signal });
  } finally {
    app.close();
  }
}

/** `run`: bot + scheduler until SIGTERM/SIGINT, then a bounded, recorded shutdown. */
async function run(app: App, signal: AbortSignal): Promise<number> {
  // The bot and the scheduler load only for `run`.
  const [{ startDaemon }, { lockDaemon }] = await Promise.all([import("./daemon.js"), import("./lifecycle/daemon-lock.js")]);
  // One daemon per data folder, taken before recovery and the bot start (DaemonLockedError otherwise).
  const lock = lockDaemon(app.config.dataDir, app.settings);
  try {
    const daemon = await startDaemon(app);
    app.log.info("tele-backup is running");
    const stopped = new Promise<Error>((resolve) => {
      if (signal.aborted) resolve(signal.reason as Error);
      signal.addEventListener("abort", () => resolve(signal.reason as Error), { once: true });
    });
    const outcome = await Promise.race([stopped.then((reason) => ({ reason, fatal: false })), daemon.fatal.then((err) => ({ reason: err as Error, fatal: true }))]);
    if (outcome.fatal) app.log.error({ err: String(outcome.reason) }, "the bot stopped polling");
    await daemon.stop(outcome.reason ?? new Error("stopped"));
    return outcome.fatal ? 1 : 0;
  } finally {
    lock.release();
  }
}

/**
 * Work every command does later and may as well do while MASTER_KEY's scrypt keeps the main
 * thread waiting: the CLI's messages (Fluent parses cli.ftl) and ICU's number formatting,
 * whose first use costs about 30 ms (nearly every message formats a number). Measured on an
 * empty backup: its end came about 40 ms sooner.
 */
function warmUp(): void {
  text();
  new Intl.NumberFormat(cliLocale(process.env)).format(1.5);
}

/** A key derivation started from the raw environment, with the database and key it is for. */
interface KeyDerivation {
  dbPath: string;
  masterKey: string;
  early: EarlyKey;
}

/**
 * Starts MASTER_KEY's scrypt from the salt an existing database holds, reading DATA_DIR and
 * MASTER_KEY as they are, before the configuration is validated (a new database derives later).
 * openStore uses it only if the validated configuration names the same database and key.
 */
async function startKeyDerivation(env: NodeJS.ProcessEnv): Promise<KeyDerivation | undefined> {
  const masterKey = env.MASTER_KEY;
  if (!masterKey) return undefined;
  const dbPath = dbFileIn(dataDirFrom(env.DATA_DIR));
  const [{ peekSettings }, { deriveEarly, KEY_SETTINGS }] = await Promise.all([import("./db/peek-settings.js"), import("./crypto/kdf.js")]);
  const early = deriveEarly(peekSettings(dbPath, KEY_SETTINGS), masterKey);
  return early && { dbPath, masterKey, early };
}

/** The database (migrated) and its secret box, whose key derivation is still running when this returns. */
async function openStore(config: AppConfig, keying: Promise<KeyDerivation | undefined> | undefined): Promise<AppStore> {
  const started = await keying;
  const early = started && started.dbPath === config.dbPath && started.masterKey === config.masterKey ? started.early : undefined;
  const [{ openDatabase }, { SettingsRepo }, { openSecretBox }] = await Promise.all([import("./db/client.js"), import("./repos/settings.repo.js"), import("./crypto/open-secret-box.js")]);
  const db = openDatabase(config.dbPath);
  const box = openSecretBox(new SettingsRepo(db), config.masterKey, early);
  // buildApp awaits it (and closes the database if it fails); until then a wrong MASTER_KEY
  // must not count as an unhandled rejection.
  box.catch(() => {});
  return { db, box };
}

/** `health`: exit 0 only while the scheduler's heartbeat is fresh. Opens the database only. */
async function health(config: AppConfig, t: CliText): Promise<number> {
  const [{ openDatabase }, { isHealthy }, { SettingsRepo }] = await Promise.all([import("./db/client.js"), import("./lifecycle/heartbeat.js"), import("./repos/settings.repo.js")]);
  const db = openDatabase(config.dbPath);
  try {
    const ok = isHealthy(new SettingsRepo(db), new Date());
    process.stdout.write(t(ok ? "cli-healthy" : "cli-unhealthy") + "\n");
    return ok ? 0 : 1;
  } finally {
    db.$client.close();
  }
}

// If the event loop drains while a command is still pending, a promise was never settled:
// that is a bug, and it must not look like success.
process.once("beforeExit", () => {
  process.stderr.write(`tele-backup: ${text()("cli-internal-error")}\n`);
  process.exit(70);
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // ConfigError by name: config/env.js loads only after the key derivation has started.
    const message = (err as Error)?.name === "ConfigError" ? text()("cli-config-error", { message: (err as Error).message }) : (err as Error)?.message ?? String(err);
    process.stderr.write(`tele-backup: ${message}\n`);
    process.exit(1);
  },
);
