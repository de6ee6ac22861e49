import type { Composer } from "grammy";
import { isSecretRef } from "../../crypto/secret-ref.js";
import type { SourceView } from "../../services/sources.service.js";
import type { BotContext } from "../context.js";
import type { BotDeps } from "../deps.js";
import { entityFeature } from "./entities.js";

const KIND_ICON: Record<SourceView["kind"], string> = { postgres: "🐘", mysql: "🐬", sqlite: "🪶", volume: "📦", directory: "📁", redis: "🟥" };

/** /sources: list, card (never a password), delete (refused while a job uses the source). */
export function sourcesFeature(deps: BotDeps): Composer<BotContext> {
  return entityFeature<SourceView>({
    area: "src",
    command: "sources",
    list: () => deps.sources.list(),
    find: (id) => (Number.isInteger(id) && deps.sources.findRow(id) ? deps.sources.get(id) : null),
    remove: (id) => deps.sources.delete(id),
    icon: (s) => KIND_ICON[s.kind],
    keys: { title: "sources-title", empty: "sources-empty", deleteConfirm: "sources-delete-confirm", deleted: "sources-deleted" },
    card: (ctx, s) => {
      const lines = [ctx.t("sources-card-head", { icon: KIND_ICON[s.kind], name: s.name, kind: s.kind })];
      if (s.kind === "postgres" || s.kind === "mysql") {
        lines.push(ctx.t("sources-card-db", { host: s.host ?? "", port: String(s.port ?? ""), database: s.database ?? "", user: s.user ?? "" }));
        lines.push(ctx.t("sources-card-password", { password: passwordText(ctx, s.password) }));
      }
      if (s.path) lines.push(ctx.t("sources-card-path", { path: s.path }));
      if (s.volume) lines.push(ctx.t("sources-card-volume", { volume: s.volume }));
      const users = deps.jobs.list().filter((j) => j.sourceId === s.id).map((j) => j.name);
      lines.push(users.length ? ctx.t("card-used-by", { jobs: users.join(", ") }) : ctx.t("card-unused"));
      return lines.join("\n");
    },
  });
}

/** A reference (env:/file:) is shown; a literal password never is. */
function passwordText(ctx: BotContext, password: string | undefined): string {
  if (!password) return ctx.t("secret-none");
  return isSecretRef(password) ? password : ctx.t("secret-hidden");
}
