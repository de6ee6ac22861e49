import type { SettingsRepo } from "../repos/settings.repo.js";
import type { CatalogPointer, CatalogTakeover } from "./catalog.js";

/**
 * Runs that change hands between installations (README "Several installations, one channel").
 * `adopt --take-over` records here what this installation took over; its catalog says so
 * (`taken_over`), and the other installation, when it next reads that catalog, records the run
 * as handed over and stops pruning it. Both lists live in the settings table: they are small
 * and only grow with explicit takeovers.
 */
const TAKEN_OVER_KEY = "catalog.taken_over";
const HANDED_OVER_KEY = "catalog.handed_over";

type Settings = Pick<SettingsRepo, "get" | "set">;

export function takenOver(settings: Settings): CatalogTakeover[] {
  return readList<CatalogTakeover>(settings, TAKEN_OVER_KEY);
}

export function recordTakenOver(settings: Settings, entries: CatalogTakeover[]): void {
  const list = takenOver(settings);
  const key = (t: CatalogTakeover) => `${t.installation_id}\u0000${t.job}\u0000${t.file_name}`;
  const have = new Set(list.map(key));
  for (const t of entries) if (!have.has(key(t))) list.push(t);
  settings.set(TAKEN_OVER_KEY, JSON.stringify(list));
}

export interface HandedOver {
  runId: number;
  to: string;
  at: string;
}

export function handedOver(settings: Settings): Map<number, { to: string; at: string }> {
  return new Map(readList<HandedOver>(settings, HANDED_OVER_KEY).map((h) => [h.runId, { to: h.to, at: h.at }]));
}

export function recordHandedOver(settings: Settings, entry: HandedOver): void {
  const list = readList<HandedOver>(settings, HANDED_OVER_KEY).filter((h) => h.runId !== entry.runId);
  settings.set(HANDED_OVER_KEY, JSON.stringify([...list, entry]));
}

/** Known catalogs of other installations: one pointer per installation, the newest sequence wins; never `self`. */
export function mergePointers(known: CatalogPointer[], seen: CatalogPointer[], self: string): CatalogPointer[] {
  const byId = new Map<string, CatalogPointer>();
  for (const p of [...known, ...seen]) {
    if (p.installation_id === self) continue;
    const have = byId.get(p.installation_id);
    if (!have || p.sequence > have.sequence) byId.set(p.installation_id, p);
  }
  return [...byId.values()].sort((a, b) => a.installation_id.localeCompare(b.installation_id));
}

function readList<T>(settings: Settings, key: string): T[] {
  const stored = settings.get(key);
  if (!stored) return [];
  try {
    const list = JSON.parse(stored) as unknown;
    return Array.isArray(list) ? (list as T[]) : [];
  } catch {
    return [];
  }
}
