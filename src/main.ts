#!/usr/bin/env node
/**
 * The composition root and the only module that may exit the process.
 * config → logger → db (+ migrations) → repositories → services → engine → command.
 */
import { ConfigError, loadConfig } from "./config/env.js";
import { buildApp } from "./app.js";
import { createLogger } from "./logger.js";
import { runCommand, parseCommand, UsageError, USAGE } from "./cli/commands.js";

async function main(argv: string[]): Promise<number> {
  let command;
  try {
    command = parseCommand(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`tele-backup: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (command.name === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = loadConfig(process.env);
  // Commands print their own results; their logs stay quiet unless LOG_LEVEL asks otherwise.
  const log = createLogger(process.env.LOG_LEVEL ? config.logLevel : "warn");
  const app = await buildApp(config, log);
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => abort.abort(new Error(`received ${sig}`));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await runCommand(app, command, { stdout: process.stdout, stderr: process.stderr, signal: abort.signal });
  } finally {
    app.close();
  }
}

// If the event loop drains while a command is still pending, a promise was never settled:
// that is a bug, and it must not look like success.
process.once("beforeExit", () => {
  process.stderr.write("tele-backup: internal error: the command stopped before it finished\n");
  process.exit(70);
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof ConfigError ? `configuration error: ${err.message}` : (err as Error)?.message ?? String(err);
    process.stderr.write(`tele-backup: ${message}\n`);
    process.exit(1);
  },
);
