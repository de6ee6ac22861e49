import { Composer } from "grammy";
import type { RunRow } from "../../../db/schema.js";
import type { BotContext, RestoreChoice } from "../../context.js";
import type { BotDeps } from "../../deps.js";
import type { BackgroundTasks } from "../../tasks.js";
import { execute, failureReason } from "./execute.js";
import { restorableRun } from "./restorable.js";

/**
 * The answer to "send the age private key": installed before the guided dialogs (see bot.ts),
 * so the key goes straight from the update to the restore — deleted from the chat at once,
 * never persisted (the dialogs' replay log stores the updates they see) and never logged.
 */
export function restoreKeyFeature(deps: BotDeps, tasks: BackgroundTasks): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.on("message:text").filter(
    // Commands (/cancel) are not keys: they go on to their handlers.
    (ctx) => ctx.session.prompt?.kind === "restore-identity" && !ctx.message.text.startsWith("/"),
    async (ctx) => {
      const prompt = ctx.session.prompt;
      if (prompt?.kind !== "restore-identity") return;
      // The key must not stay in the chat history.
      await ctx.deleteMessage().catch((err: unknown) => deps.log.warn({ err: String(err) }, "bot: could not delete the message with an age identity"));
      const identities = ctx.message.text.split(/\s+/).filter((s) => /^AGE-SECRET-KEY-1[0-9A-Z]+$/.test(s));
      if (identities.length === 0) return void (await ctx.reply(ctx.t("restore-identity-invalid")));
      delete ctx.session.prompt;
      const run = restorableRun(deps, prompt.runId);
      if (!run) return void (await ctx.reply(ctx.t("restore-run-gone")));
      await execute(ctx, deps, tasks, run, prompt.target, prompt.targetName, { identities });
    },
  );
  c.on("message:text").filter(
    (ctx) => ctx.session.prompt?.kind === "restore-passphrase" && !ctx.message.text.startsWith("/"),
    async (ctx) => {
      const prompt = ctx.session.prompt;
      if (prompt?.kind !== "restore-passphrase") return;
      // The passphrase must not stay in the chat history.
      await ctx.deleteMessage().catch((err: unknown) => deps.log.warn({ err: String(err) }, "bot: could not delete the message with a passphrase"));
      const passphrase = ctx.message.text;
      const run = restorableRun(deps, prompt.runId);
      if (!run) {
        delete ctx.session.prompt;
        return void (await ctx.reply(ctx.t("restore-run-gone")));
      }
      const check = await deps.restorer.checkPassphrase(run.id, passphrase).catch((err: unknown) => err as Error);
      if (check instanceof Error) {
        delete ctx.session.prompt;
        return void (await ctx.reply(ctx.t("restore-failed", { run: String(run.id), target: prompt.targetName, reason: failureReason(ctx, check, 500) })));
      }
      if (check === "wrong") return void (await ctx.reply(ctx.t("restore-passphrase-wrong", { run: String(run.id) })));
      delete ctx.session.prompt;
      await execute(ctx, deps, tasks, run, prompt.target, prompt.targetName, { passphrase });
    },
  );

  return c;
}

/** After the confirmation: ask for the age key when the run needs one, else start. */
export async function proceed(ctx: BotContext, deps: BotDeps, tasks: BackgroundTasks, run: RunRow, target: RestoreChoice, targetName: string): Promise<void> {
  if (run.encryption === "recipients") {
    ctx.session.prompt = { kind: "restore-identity", runId: run.id, target, targetName };
    await ctx.reply(ctx.t("restore-identity-prompt", { run: String(run.id) }));
    return;
  }
  if (run.encryption === "passphrase") {
    // The passphrase kept with the run opens it unless its reference now points elsewhere; then ask.
    const check = await deps.restorer.checkPassphrase(run.id).catch((err: unknown) => err as Error);
    if (check instanceof Error) {
      await ctx.reply(ctx.t("restore-failed", { run: String(run.id), target: targetName, reason: failureReason(ctx, check, 500) }));
      return;
    }
    if (check === "wrong" || check === "unavailable") {
      ctx.session.prompt = { kind: "restore-passphrase", runId: run.id, target, targetName };
      await ctx.reply(ctx.t("restore-passphrase-prompt", { run: String(run.id), reason: check }));
      return;
    }
  }
  await execute(ctx, deps, tasks, run, target, targetName, {});
}
