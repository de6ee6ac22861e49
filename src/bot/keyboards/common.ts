import type { InlineKeyboard } from "grammy";

/**
 * Callback data is `<area>:<action>[:<arg>...]`, at most 64 bytes (a Telegram limit).
 * Each area's keyboard module builds its data with `cb()` and exports the patterns its
 * feature listens to, so the two never drift apart.
 */
export function cb(...parts: Array<string | number>): string {
  const data = parts.join(":");
  if (Buffer.byteLength(data, "utf8") > 64) throw new Error(`callback data longer than 64 bytes: ${data}`);
  return data;
}

/** A button that does nothing (page counters). */
export const NOOP = "noop";

export const PAGE_SIZE = 8;

export interface Page<T> {
  items: T[];
  page: number;
  pages: number;
}

/** The `page`-th slice of `items` (clamped into range). */
export function pageOf<T>(items: readonly T[], page: number, size = PAGE_SIZE): Page<T> {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const p = Math.min(Math.max(0, Number.isFinite(page) ? Math.floor(page) : 0), pages - 1);
  return { items: items.slice(p * size, p * size + size), page: p, pages };
}

/** Appends a ◀ n/m ▶ row when there is more than one page (`pages` unknown: only ◀ / ▶ as `hasNext` says). */
export function addPager(kb: InlineKeyboard, page: number, pages: number | { hasNext: boolean }, data: (page: number) => string): InlineKeyboard {
  const hasNext = typeof pages === "number" ? page < pages - 1 : pages.hasNext;
  if (page === 0 && !hasNext) return kb;
  kb.row();
  if (page > 0) kb.text("◀", data(page - 1));
  kb.text(typeof pages === "number" ? `${page + 1}/${pages}` : `${page + 1}`, NOOP);
  if (hasNext) kb.text("▶", data(page + 1));
  return kb;
}
