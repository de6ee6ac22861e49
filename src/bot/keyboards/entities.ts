import { InlineKeyboard } from "grammy";
import { addPager, cb, pageOf } from "./common.js";

/**
 * Lists and cards of sources (`src`) and destinations (`dst`): both are "a named thing with
 * a card with Edit and Delete buttons", so they share one keyboard shape.
 */
export type EntityArea = "src" | "dst";

export function entityCb(area: EntityArea) {
  return {
    list: (page: number) => cb(area, "l", page),
    open: (id: number) => cb(area, "o", id),
    del: (id: number) => cb(area, "d", id),
    edit: (id: number) => cb(area, "e", id),
    delConfirm: (id: number) => cb(area, "D", id),
  };
}

export function entityPattern(area: EntityArea) {
  return {
    list: new RegExp(`^${area}:l:(\\d+)$`),
    open: new RegExp(`^${area}:o:(\\d+)$`),
    del: new RegExp(`^${area}:d:(\\d+)$`),
    edit: new RegExp(`^${area}:e:(\\d+)$`),
    delConfirm: new RegExp(`^${area}:D:(\\d+)$`),
  };
}

export function entityListKeyboard(area: EntityArea, items: ReadonlyArray<{ id: number; name: string; icon: string }>, page: number): InlineKeyboard {
  const data = entityCb(area);
  const p = pageOf(items, page);
  const kb = new InlineKeyboard();
  for (const item of p.items) kb.text(`${item.icon} ${item.name}`, data.open(item.id)).row();
  return addPager(kb, p.page, p.pages, data.list);
}

export function entityCardKeyboard(t: (key: string) => string, area: EntityArea, id: number): InlineKeyboard {
  const data = entityCb(area);
  return new InlineKeyboard().text(t("btn-edit"), data.edit(id)).text(t("btn-delete"), data.del(id)).row().text(t("btn-back-list"), data.list(0));
}
