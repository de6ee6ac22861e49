import { Composer, InlineKeyboard } from "grammy";
import { formatBytes } from "../../shared/format.js";
import type { AdoptPlan } from "../../application/adopt.js";
import type { BotContext } from "../context.js";
import type { BotDeps } from "../deps.js";
import { readChat } from "../conversations/parse.js";
import { speakerOf } from "../format.js";
import { localeOf } from "../locale.js";
import { answer, commandArg, errorText, num, replyBlocks } from "../helpers.js";

const ADOPT_YES = /^adopt:([yt]):(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,})$/;
const ADOPT_NO = "adopt:n";
const ADOPT_SECRETS = /^adopt:s:(\d+)$/;

/**
 * /adopt [chat]: reads the catalog pinned in a chat (a forwarded post, its id or @username),
 * shows what it holds, and imports it after "Import" (src/application/adopt.ts): runs restorable
 * with /restore, missing jobs created disabled until their secrets are set.
 */
export function adoptFeature(deps: BotDeps): Composer<BotContext> {
  const c = new Composer<BotContext>();

  c.command("adopt", async (ctx) => {
    const arg = commandArg(ctx);
    if (arg) return showPlan(ctx, deps, arg);
    ctx.session.prompt = { kind: "adopt-chat" };
    await ctx.reply(ctx.t("adopt-ask-chat"));
  });

  c.on("message").filter(
    (ctx) => ctx.session.prompt?.kind === "adopt-chat" && !(ctx.message.text ?? "").startsWith("/"),
    async (ctx) => {
      const read = readChat(ctx.message);
      if ("error" in read) return void (await ctx.reply(ctx.t(read.error, read.params ?? {})));
      delete ctx.session.prompt;
      await showPlan(ctx, deps, read.ok.chatId);
    },
  );

  c.callbackQuery(ADOPT_YES, async (ctx) => {
    await answer(ctx);
    const takeOver = ctx.match![1] === "t";
    const chat = ctx.match![2]!;
    if (!deps.adopter) return void (await ctx.reply(ctx.t("adopt-unavailable")));
    try {
      const plan = await deps.adopter.inspect(chat);
      const result = deps.adopter.apply(plan, { takeOver });
      const lines = [ctx.t("adopt-done", { runs: result.runsImported.length, skipped: result.runsSkipped, destination: result.destination, jobs: result.jobsCreated.join(", ") || "—" })];
      for (const taken of result.takenOver) lines.push(ctx.t("adopt-taken-over", { installation: taken.installation, runs: taken.runs }));
      for (const h of await deps.adopter.handOver(chat, plan, result)) {
        if (h.error) lines.push(ctx.t("adopt-handover-failed", { installation: h.installation, error: h.error }));
      }
      const kb = new InlineKeyboard();
      for (const j of plan.jobs) {
        if (j.exists || j.missing.length === 0 || !result.jobsCreated.includes(j.job.name)) continue;
        lines.push(ctx.t("adopt-needs-secrets", { job: j.job.name, secrets: secretsText(ctx, j) }));
        const row = deps.jobs.findRow(j.job.name);
        if (row) kb.text(ctx.t("adopt-btn-secrets", { job: j.job.name }), `adopt:s:${row.id}`).row();
      }
      deps.jobsChanged?.();
      await ctx.reply(lines.join("\n\n"), kb.inline_keyboard.length > 0 ? { reply_markup: kb } : {});
    } catch (err) {
      await ctx.reply(ctx.t("adopt-failed", { error: (err as Error).message }));
    }
  });

  c.callbackQuery(ADOPT_SECRETS, async (ctx) => {
    await answer(ctx);
    await askNextSecret(ctx, deps, num(ctx.match));
  });

  c.on("message:text").filter(
    // Commands (/cancel) are no secrets: they go on to their handlers.
    (ctx) => ctx.session.prompt?.kind === "adopt-secret" && !ctx.message.text.startsWith("/"),
    async (ctx) => {
      const prompt = ctx.session.prompt;
      if (prompt?.kind !== "adopt-secret") return;
      // The secret must not stay in the chat history.
      await ctx.deleteMessage().catch((err: unknown) => deps.log.warn({ err: String(err) }, "bot: could not delete the message with a secret"));
      const job = deps.jobs.findRow(prompt.jobId);
      if (!job) {
        delete ctx.session.prompt;
        return void (await ctx.reply(ctx.t("error-not-found")));
      }
      const value = ctx.message.text;
      try {
        if (prompt.secret === "passphrase") {
          // A passphrase that does not open the newest adopted backup is refused, never stored.
          const run = deps.runs.listByJob(job.id, 50).find((r) => r.status === "success" && !r.expiredAt && r.encryption === "passphrase");
          if (run && (await deps.restorer.checkPassphrase(run.id, value)) === "wrong") {
            return void (await ctx.reply(ctx.t("adopt-passphrase-wrong", { run: String(run.id), job: job.name })));
          }
          deps.jobs.update(job.id, { encryption: { passphrase: value } });
        } else {
          const source = deps.sources.findRow(job.sourceId);
          if (source) deps.sources.update(source.id, { password: value });
        }
      } catch (err) {
        return void (await ctx.reply(errorText(ctx, err)));
      }
      delete ctx.session.prompt;
      await askNextSecret(ctx, deps, job.id);
    },
  );

  c.callbackQuery(ADOPT_NO, async (ctx) => {
    await answer(ctx);
    await ctx.reply(ctx.t("adopt-cancelled"));
  });

  return c;
}

async function showPlan(ctx: BotContext, deps: BotDeps, chat: string): Promise<void> {
  if (!deps.adopter) return void (await ctx.reply(ctx.t("adopt-unavailable")));
  let plan: AdoptPlan;
  try {
    plan = await deps.adopter.inspect(chat);
  } catch (err) {
    return void (await ctx.reply(ctx.t("adopt-failed", { error: (err as Error).message })));
  }
  const { catalog } = plan;
  const when = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;
  const speaker = speakerOf(ctx.t, await localeOf(ctx));
  const others = plan.catalogs.slice(1).map((c) => ctx.t("adopt-other-catalog", { installation: c.catalog.installation_id, runs: c.catalog.runs.length }));
  const head = [ctx.t("adopt-summary", { chat: catalog.chat.id, written: when(catalog.written_at), jobs: plan.jobs.length, runs: plan.runs.length }), ...others].join("\n");
  const blocks = [
    plan.jobs
      .map((j) => (j.exists ? ctx.t("adopt-job-exists", { job: j.job.name }) : ctx.t("adopt-job-new", { job: j.job.name, kind: j.job.source.kind, secrets: secretsText(ctx, j) || "—" })))
      .join("\n"),
    plan.runs
      .map((r) => ctx.t("adopt-run", { run: r.run.run_id, job: r.run.job, date: when(r.run.started_at), size: formatBytes(r.run.payload_size ?? 0, speaker), state: r.complete ? (r.run.verified ? "complete" : "unverified") : "incomplete", imported: r.imported ? "yes" : "no" }))
      .join("\n"),
  ].filter((b) => b.length > 0);
  const kb = new InlineKeyboard().text(ctx.t("adopt-btn-import"), `adopt:y:${catalog.chat.id}`).text(ctx.t("adopt-btn-cancel"), ADOPT_NO).row();
  // Taking over: for a host that is gone for good (this installation's retention prunes them from now on).
  if (plan.runs.some((r) => !r.imported)) kb.text(ctx.t("adopt-btn-take-over"), `adopt:t:${catalog.chat.id}`);
  await replyBlocks(ctx, head, blocks, kb);
}

/** Asks for the job's next missing secret, or enables it once none is missing. */
async function askNextSecret(ctx: BotContext, deps: BotDeps, jobId: number): Promise<void> {
  const job = deps.jobs.findRow(jobId);
  if (!job) return void (await ctx.reply(ctx.t("error-not-found")));
  const source = deps.sources.findRow(job.sourceId);
  const missing = job.missingSecrets.find((s) => (s === "passphrase" ? job.passphraseEnc == null : source?.passwordEnc == null));
  if (missing) {
    ctx.session.prompt = { kind: "adopt-secret", jobId: job.id, secret: missing };
    return void (await ctx.reply(missing === "passphrase" ? ctx.t("adopt-ask-passphrase", { job: job.name }) : ctx.t("adopt-ask-password", { source: source?.name ?? "", job: job.name })));
  }
  try {
    deps.jobs.update(job.id, { enabled: true });
  } catch (err) {
    return void (await ctx.reply(errorText(ctx, err)));
  }
  deps.jobsChanged?.();
  await ctx.reply(ctx.t("adopt-job-enabled", { job: job.name }));
}

function secretsText(ctx: BotContext, j: AdoptPlan["jobs"][number]): string {
  return j.missing.map((m) => (m === "password" ? ctx.t("adopt-secret-password", { source: j.job.source.name }) : ctx.t("adopt-secret-passphrase"))).join(", ");
}
