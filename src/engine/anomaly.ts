import type { RunInventory } from "../db/schema.js";
import { formatBytes } from "../shared/format.js";

/**
 * Anomaly checks of a successful run against the job's recent history. A run that trips one is
 * kept and stays a success; it is marked ⚠️ with the reasons and the admins are alerted.
 *
 * Contract, in the order the reasons are listed:
 * 1. zero tables: the dump was counted (`inventory.kind = "rows"`) and held no table at all;
 * 2. size: the size before compression is below `size_below` × or above `size_above` × the
 *    median of the job's last `history` successful runs (needs at least one earlier run);
 * 3. tables: the newest earlier run that was counted had tables this one lacks, and the table
 *    count fell by at least `tables_drop` (a fraction: 0.1 = a tenth); every missing table is named;
 * 4. rows: a table that held at least `min_rows` rows in that run now holds fewer than
 *    `rows_drop` × as many (0.5 = lost more than half); each such table is named.
 * 5. files changed: the source read files that changed while they were read (their copies may
 *    mix old and new content; `changedFilesReason`); no threshold, no history needed.
 */
export interface AnomalyThresholds {
  size_below: number;
  size_above: number;
  history: number;
  tables_drop: number;
  rows_drop: number;
  min_rows: number;
}

export const DEFAULT_ANOMALY_THRESHOLDS: AnomalyThresholds = {
  size_below: 0.5,
  size_above: 3,
  history: 7,
  tables_drop: 0.1,
  rows_drop: 0.5,
  min_rows: 10,
};

export const ANOMALY_KEYS = Object.keys(DEFAULT_ANOMALY_THRESHOLDS) as Array<keyof AnomalyThresholds>;

/** One reason, as a locale key (`locales/<lang>/drill.ftl`) and its parameters. */
export interface AnomalyReason {
  key: "anomaly-zero-tables" | "anomaly-size-low" | "anomaly-size-high" | "anomaly-tables-gone" | "anomaly-rows-drop" | "anomaly-files-changed";
  params: Record<string, string | number>;
}

export interface RunFacts {
  rawSize: number;
  inventory: RunInventory | null;
}

/** At most this many tables are named in one reason. */
const NAMED = 5;

/** `previous`: the job's earlier successful runs, newest first. */
export function detectAnomalies(current: RunFacts, previous: RunFacts[], overrides: Partial<AnomalyThresholds> = {}): AnomalyReason[] {
  const t = { ...DEFAULT_ANOMALY_THRESHOLDS, ...overrides };
  const out: AnomalyReason[] = [];
  const tables = current.inventory?.kind === "rows" ? (current.inventory.tables ?? {}) : null;
  if (tables && Object.keys(tables).length === 0) out.push({ key: "anomaly-zero-tables", params: {} });

  const sizes = previous.slice(0, Math.max(1, t.history)).map((r) => r.rawSize).filter((n) => n > 0);
  if (sizes.length > 0) {
    const med = median(sizes);
    if (current.rawSize < med * t.size_below) out.push({ key: "anomaly-size-low", params: { size: formatBytes(current.rawSize), median: formatBytes(med), runs: sizes.length } });
    else if (current.rawSize > med * t.size_above) out.push({ key: "anomaly-size-high", params: { size: formatBytes(current.rawSize), median: formatBytes(med), runs: sizes.length } });
  }

  const before = previous.find((r) => r.inventory?.kind === "rows")?.inventory?.tables;
  if (tables && before) {
    const gone = Object.keys(before).filter((name) => !(name in tables));
    const was = Object.keys(before).length;
    const now = Object.keys(tables).length;
    if (gone.length > 0 && was > 0 && (was - now) / was >= t.tables_drop) {
      out.push({ key: "anomaly-tables-gone", params: { before: was, now, tables: named(gone) } });
    }
    const dropped = Object.entries(before)
      .filter(([name, rows]) => name in tables && rows >= t.min_rows && tables[name]! < rows * t.rows_drop)
      .map(([name, rows]) => `${name} (${rows} → ${tables[name]})`);
    if (dropped.length > 0) out.push({ key: "anomaly-rows-drop", params: { tables: named(dropped), count: dropped.length } });
  }
  return out;
}

/** An English line per reason, for logs and the CLI. */
export function describeAnomaly(r: AnomalyReason): string {
  const p = r.params;
  switch (r.key) {
    case "anomaly-zero-tables":
      return "the dump holds no table at all";
    case "anomaly-size-low":
      return `size ${p.size} is far below the median (${p.median}) of the last ${p.runs} runs`;
    case "anomaly-size-high":
      return `size ${p.size} is far above the median (${p.median}) of the last ${p.runs} runs`;
    case "anomaly-tables-gone":
      return `tables fell from ${p.before} to ${p.now}; missing: ${p.tables}`;
    case "anomaly-rows-drop":
      return `rows dropped sharply in ${p.tables}`;
    case "anomaly-files-changed":
      return `${p.count} file(s) changed while they were read, so their copies may mix old and new content: ${p.files}`;
  }
}

/** Reason 5: files the source saw change while it read them (none: null). */
export function changedFilesReason(entries: string[]): AnomalyReason | null {
  return entries.length > 0 ? { key: "anomaly-files-changed", params: { count: entries.length, files: named(entries) } } : null;
}

function named(list: string[]): string {
  return list.length > NAMED ? `${list.slice(0, NAMED).join(", ")} (+${list.length - NAMED})` : list.join(", ");
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
}

/** Thresholds as stored (`jobs.anomaly`), unknown or non-numeric keys dropped. */
export function thresholdsOf(stored: Record<string, unknown> | null | undefined): Partial<AnomalyThresholds> {
  const out: Partial<AnomalyThresholds> = {};
  for (const k of ANOMALY_KEYS) {
    const v = stored?.[k];
    if (typeof v === "number" && Number.isFinite(v)) out[k] = v;
  }
  return out;
}
