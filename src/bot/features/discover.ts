import { Composer, InlineKeyboard } from "grammy";
import type { AddResult, Finding } from "../../application/discover.js";
import { isSecretRef } from "../../crypto/secret-ref.js";
import { DockerError } from "../../docker/errors.js";
import { renderTranslatable, type Translatable } from "../../shared/translatable.js";
import type { BotContext } from "../context.js";
import type { BotDeps } from "../deps.js";
import { answer, replyBlocks } from "../helpers.js";
import { entityCb } from "../keyboards/entities.js";

/** A finding's button: `disc:` + its ref (looked up again on the tap, never trusted). */
const DISCOVER_ADD = /^disc:([cvh]:[A-Za-z0-9][A-Za-z0-9_.-]*)$/;

const KIND_ICON: Record<Finding["kind"], string> = { postgres: "🐘", mysql: "🐬", redis: "🟥", volume: "📦" };

/**
 * /discover: the database containers and named volumes the Docker Engine shows
 * (src/application/discover.ts), one button each; a tap tests the connection and saves the
 * source, or says why not and saves nothing. Covered ones are marked ✓.
 */
export function discoverFeature(deps: BotDeps): Composer<BotContext> {
  const c = new Composer<BotContext>();

  c.command("discover", async (ctx) => {
    const discovery = deps.discovery;
    if (!discovery) return void (await ctx.reply(ctx.t("discover-unavailable")));
    let findings: Finding[];
    try {
      findings = await discovery.list();
    } catch (err) {
      return void (await ctx.reply(dockerText(ctx, deps, err)));
    }
    if (findings.length === 0) return void (await ctx.reply(ctx.t("discover-none")));
    const kb = new InlineKeyboard();
    for (const f of findings) {
      const mark = f.coveredBy ? "✓" : f.problem ? "⚠️" : "➕";
      kb.text(`${mark} ${f.kind} · ${f.label}`, `disc:${f.ref}`).row();
    }
    await replyBlocks(ctx, ctx.t("discover-title", { count: findings.length }), findings.map((f) => findingText(ctx, f)), kb);
  });

  c.callbackQuery(DISCOVER_ADD, async (ctx) => {
    await answer(ctx);
    const discovery = deps.discovery;
    if (!discovery) return void (await ctx.reply(ctx.t("discover-unavailable")));
    let result: AddResult;
    try {
      await ctx.reply(ctx.t("discover-testing"));
      result = await discovery.add(ctx.match![1]!);
    } catch (err) {
      return void (await ctx.reply(dockerText(ctx, deps, err)));
    }
    await reportAdd(ctx, result);
  });

  return c;
}

async function reportAdd(ctx: BotContext, result: AddResult): Promise<void> {
  switch (result.kind) {
    case "added": {
      const { source } = result;
      const lines = [ctx.t("discover-added", { name: source.name, kind: source.kind })];
      if (result.serverVersion) lines.push(ctx.t("discover-added-version", { version: result.serverVersion }));
      if (source.password && isSecretRef(source.password)) lines.push(ctx.t("discover-added-reference", { reference: source.password }));
      else if (source.password) lines.push(ctx.t("discover-added-encrypted"));
      const kb = new InlineKeyboard().text(ctx.t("discover-btn-card", { name: source.name }), entityCb("src").open(source.id));
      return void (await ctx.reply(lines.join("\n"), { reply_markup: kb }));
    }
    case "covered":
      return void (await ctx.reply(ctx.t("discover-already-covered", { source: result.source })));
    case "gone":
      return void (await ctx.reply(ctx.t("discover-gone")));
    case "failed":
      return void (await ctx.reply(ctx.t("discover-failed", { reason: say(ctx, result.reason) })));
  }
}

/** One finding's line: what it is, where it connects (no password), and whether it is covered or why it cannot be added. */
function findingText(ctx: BotContext, f: Finding): string {
  const lines = [ctx.t("discover-item", { icon: KIND_ICON[f.kind], label: f.label, target: f.target, image: f.image ?? f.kind })];
  if (f.coveredBy) lines.push(ctx.t("discover-item-covered", { source: f.coveredBy }));
  else if (f.problem) lines.push(`⚠️ ${say(ctx, f.problem)}`);
  return lines.join("\n");
}

function say(ctx: BotContext, t: Translatable): string {
  return renderTranslatable((_locale, key, params) => ctx.t(key, params), "", t);
}

/** Docker not reachable (no socket mounted, no permission) or refusing: said plainly, logged with detail. */
function dockerText(ctx: BotContext, deps: BotDeps, err: unknown): string {
  if (!(err instanceof DockerError)) throw err;
  deps.log.warn({ err: err.message }, "discover: the Docker Engine failed");
  return err.unreachable ? ctx.t("discover-docker-unreachable", { reason: err.message }) : ctx.t("discover-docker-failed", { reason: err.message });
}
