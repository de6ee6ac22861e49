import type { Composer } from "grammy";
import type { SourceView } from "../../services/sources.service.js";
import type { BotContext } from "../context.js";
import { CONVERSATION_IDS, startEditDialog } from "../conversations/index.js";
import type { BotDeps } from "../deps.js";
import { SOURCE_ICON, sourceCardText, sourceUsers } from "./cards.js";
import { entityFeature } from "./entities.js";

/** /sources: list, card (never a password), edit, delete (refused while a job uses the source). */
export function sourcesFeature(deps: BotDeps): Composer<BotContext> {
  return entityFeature<SourceView>({
    area: "src",
    command: "sources",
    list: () => deps.sources.list(),
    find: (id) => (Number.isInteger(id) && deps.sources.findRow(id) ? deps.sources.get(id) : null),
    remove: (id) => deps.sources.delete(id),
    icon: (s) => SOURCE_ICON[s.kind],
    keys: { title: "sources-title", empty: "sources-empty", deleteConfirm: "sources-delete-confirm", deleted: "sources-deleted" },
    card: (ctx, s) => sourceCardText(ctx.t, s, sourceUsers(deps, s.id)),
    edit: (ctx, id) => startEditDialog(ctx, CONVERSATION_IDS.editSource, id),
  });
}
