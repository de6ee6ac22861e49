import type { Composer } from "grammy";
import { isSecretRef } from "../../crypto/secret-ref.js";
import type { DestinationView } from "../../services/destinations.service.js";
import type { BotContext } from "../context.js";
import type { BotDeps } from "../deps.js";
import { entityFeature } from "./entities.js";

const KIND_ICON: Record<DestinationView["kind"], string> = { telegram: "✈️", local: "💾", s3: "🪣" };

/** /destinations: list, card (never a token), delete (refused while a job uses the destination). */
export function destinationsFeature(deps: BotDeps): Composer<BotContext> {
  return entityFeature<DestinationView>({
    area: "dst",
    command: "destinations",
    list: () => deps.destinations.list(),
    find: (id) => (Number.isInteger(id) && deps.destinations.findRow(id) ? deps.destinations.get(id) : null),
    remove: (id) => deps.destinations.delete(id),
    icon: (d) => KIND_ICON[d.kind],
    keys: { title: "dests-title", empty: "dests-empty", deleteConfirm: "dests-delete-confirm", deleted: "dests-deleted" },
    card: (ctx, d) => {
      const lines = [ctx.t("dests-card-head", { icon: KIND_ICON[d.kind], name: d.name, kind: d.kind })];
      if (d.kind === "telegram") {
        lines.push(ctx.t("dests-card-chat", { chat: d.chat_id ?? "" }));
        if (d.thread_id !== undefined) lines.push(ctx.t("dests-card-thread", { thread: String(d.thread_id) }));
        const token = d.bot_token ? (isSecretRef(d.bot_token) ? d.bot_token : ctx.t("secret-hidden")) : ctx.t("dests-card-main-bot");
        lines.push(ctx.t("dests-card-token", { token }));
      }
      if (d.kind === "s3") {
        lines.push(ctx.t("s3-card-bucket", { bucket: String(d.bucket ?? ""), endpoint: String(d.endpoint ?? "") }));
        if (d.prefix) lines.push(ctx.t("s3-card-prefix", { prefix: String(d.prefix) }));
        const secret = typeof d.secret_access_key === "string" && isSecretRef(d.secret_access_key) ? d.secret_access_key : ctx.t("secret-hidden");
        lines.push(ctx.t("s3-card-key", { key: String(d.access_key_id ?? ""), secret }));
      }
      if (d.path) lines.push(ctx.t("dests-card-path", { path: d.path }));
      const users = deps.jobs.list().filter((j) => j.destinationIds.includes(d.id)).map((j) => j.name);
      lines.push(users.length ? ctx.t("card-used-by", { jobs: users.join(", ") }) : ctx.t("card-unused"));
      return lines.join("\n");
    },
  });
}
