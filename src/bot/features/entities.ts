import { Composer, InlineKeyboard } from "grammy";
import type { BotContext } from "../context.js";
import { answer, errorText, num, show } from "../helpers.js";
import { confirmDeleteKeyboard } from "../keyboards/jobs.js";
import { entityCardKeyboard, entityCb, entityListKeyboard, entityPattern, type EntityArea } from "../keyboards/entities.js";

/** What the sources and destinations features tell the shared list/card/delete screens. */
export interface EntityScreens<V extends { id: number; name: string }> {
  area: EntityArea;
  command: string;
  list(): V[];
  find(id: number): V | null;
  remove(id: number): void;
  icon(item: V): string;
  /** Locale keys. */
  keys: { title: string; empty: string; deleteConfirm: string; deleted: string };
  card(ctx: BotContext, item: V): string | Promise<string>;
  /** Starts the item's edit dialog (the card's ✏️ Edit button). */
  edit(ctx: BotContext, id: number): Promise<void>;
}

/** A paginated list, a card per item with Edit, and Delete with confirmation (refused with the reason when in use). */
export function entityFeature<V extends { id: number; name: string }>(screens: EntityScreens<V>): Composer<BotContext> {
  const c = new Composer<BotContext>();
  const data = entityCb(screens.area);
  const pattern = entityPattern(screens.area);

  const showList = async (ctx: BotContext, page: number) => {
    const items = screens.list();
    if (items.length === 0) return show(ctx, ctx.t(screens.keys.empty));
    const rows = items.map((i) => ({ id: i.id, name: i.name, icon: screens.icon(i) }));
    await show(ctx, ctx.t(screens.keys.title, { count: items.length }), entityListKeyboard(screens.area, rows, page));
  };

  c.command(screens.command, (ctx) => showList(ctx, 0));
  c.callbackQuery(pattern.list, async (ctx) => {
    await answer(ctx);
    await showList(ctx, num(ctx.match));
  });

  c.callbackQuery(pattern.open, async (ctx) => {
    await answer(ctx);
    const item = screens.find(num(ctx.match));
    if (!item) return show(ctx, ctx.t("error-not-found"));
    await show(ctx, await screens.card(ctx, item), entityCardKeyboard(ctx.t, screens.area, item.id));
  });

  c.callbackQuery(pattern.edit, async (ctx) => {
    await answer(ctx);
    const item = screens.find(num(ctx.match));
    if (!item) return show(ctx, ctx.t("error-not-found"));
    await screens.edit(ctx, item.id);
  });

  c.callbackQuery(pattern.del, async (ctx) => {
    await answer(ctx);
    const item = screens.find(num(ctx.match));
    if (!item) return show(ctx, ctx.t("error-not-found"));
    await show(ctx, ctx.t(screens.keys.deleteConfirm, { name: item.name }), confirmDeleteKeyboard(ctx.t, data.delConfirm(item.id), data.open(item.id)));
  });

  c.callbackQuery(pattern.delConfirm, async (ctx) => {
    const item = screens.find(num(ctx.match));
    if (!item) {
      await answer(ctx);
      return show(ctx, ctx.t("error-not-found"));
    }
    try {
      screens.remove(item.id);
      await answer(ctx);
      await show(ctx, ctx.t(screens.keys.deleted, { name: item.name }), new InlineKeyboard().text(ctx.t("btn-back-list"), data.list(0)));
    } catch (err) {
      await answer(ctx);
      await show(ctx, errorText(ctx, err), entityCardKeyboard(ctx.t, screens.area, item.id));
    }
  });

  return c;
}
