import type { Composer } from "grammy";
import type { DestinationView } from "../../services/destinations.service.js";
import type { BotContext } from "../context.js";
import { CONVERSATION_IDS, startEditDialog } from "../conversations/index.js";
import type { BotDeps } from "../deps.js";
import { chatTitles, DESTINATION_ICON, destinationCardText, destinationUsers, languageName } from "./cards.js";
import { entityFeature } from "./entities.js";

/** /destinations: list, card (never a token; chats by title), edit, delete (refused while a job uses the destination). */
export function destinationsFeature(deps: BotDeps): Composer<BotContext> {
  return entityFeature<DestinationView>({
    area: "dst",
    command: "destinations",
    list: () => deps.destinations.list(),
    find: (id) => (Number.isInteger(id) && deps.destinations.findRow(id) ? deps.destinations.get(id) : null),
    remove: (id) => deps.destinations.delete(id),
    icon: (d) => DESTINATION_ICON[d.kind],
    keys: { title: "dests-title", empty: "dests-empty", deleteConfirm: "dests-delete-confirm", deleted: "dests-deleted" },
    card: async (ctx, d) =>
      destinationCardText(ctx.t, d, destinationUsers(deps, d.id), await chatTitles(ctx.api, d), languageName(deps.translate, d.language)),
    edit: (ctx, id) => startEditDialog(ctx, CONVERSATION_IDS.editDestination, id),
  });
}
