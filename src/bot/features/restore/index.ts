import { Composer } from "grammy";
import type { BotContext } from "../../context.js";
import type { BotDeps } from "../../deps.js";
import type { BackgroundTasks } from "../../tasks.js";
import { confirmFeature } from "./confirm.js";
import { pickRunFeature } from "./pick-run.js";
import { pickTargetFeature } from "./pick-target.js";
import { runActionsFeature } from "./run-actions.js";

export { restoreKeyFeature } from "./keys.js";

/**
 * /restore: job (or a deleted job) → run → target (something new beside the source, a source of
 * the same kind, or "send me the file") → the user
 * types the target's name → progress → result. Runs encrypted to age recipients need the
 * private key, and runs whose stored passphrase no longer opens them the passphrase: the bot
 * asks (restoreKeyFeature, installed ahead of the dialogs), deletes the message at once and
 * never stores it. One file per step: pick-run, pick-target, confirm, keys, execute;
 * run-actions: a run's restore / verify / send-me-the-file from the history.
 */
export function restoreFeature(deps: BotDeps, tasks: BackgroundTasks): Composer<BotContext> {
  return new Composer<BotContext>(pickRunFeature(deps), pickTargetFeature(deps, tasks), runActionsFeature(deps, tasks), confirmFeature(deps, tasks));
}
