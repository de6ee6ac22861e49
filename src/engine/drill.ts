import type { RunInventory } from "../db/schema.js";
import { formatDuration } from "../shared/format.js";

/**
 * What a restore drill found (src/application/drill.ts), for the chat, the CLI and the
 * `drills` table.
 * - `passed` + `full`: every part fetched from a destination and hashed, decrypted, restored
 *   into a throw-away target and found equal to what the run recorded at dump time.
 * - `passed` + `partial`: a run encrypted to age recipients without a drill identity: every part
 *   fetched and hashed, the age header parsed and its stanzas matching the recipients; the
 *   payload itself was not opened.
 * - `failed`: `differences` (or `error`) says the first things that were wrong.
 */
export interface DrillReport {
  drillId: number;
  job: string;
  runId: number | null;
  /** When the drilled run was made. */
  runAt: Date | null;
  status: "passed" | "failed";
  level: "full" | "partial";
  durationMs: number;
  /** How long fetching, decrypting and loading took: what a real restore would take. */
  restoreMs: number | null;
  tables: number | null;
  files: number | null;
  /** English lines: the first differences, or what a partial drill could not prove. */
  differences: string[];
  /** English, one line: why the drill could not run to its end. */
  error: string | null;
  /** The run recorded no inventory (a format that cannot be counted in passing): only the restore itself was proven. */
  uncounted: boolean;
  /** Recipients the age header was checked against (partial drills). */
  recipients?: number;
}

/** At most this many differences are kept and shown. */
export const MAX_DIFFERENCES = 10;

/** What was restored against what the run recorded at dump time; empty when they agree. */
export function compareInventory(recorded: RunInventory, restored: RunInventory): string[] {
  const out: string[] = [];
  if (recorded.kind === "files") {
    if (recorded.files !== restored.files) out.push(`files: ${recorded.files} recorded, ${restored.files} restored`);
    if (recorded.bytes !== restored.bytes) out.push(`bytes: ${recorded.bytes} recorded, ${restored.bytes} restored`);
    return out;
  }
  const want = recorded.tables ?? {};
  const got = restored.tables ?? {};
  for (const [name, rows] of Object.entries(want)) {
    if (!(name in got)) out.push(`table ${name}: missing after the restore (${rows} rows recorded)`);
    else if (got[name] !== rows) out.push(`table ${name}: ${rows} rows recorded, ${got[name]} restored`);
  }
  for (const name of Object.keys(got)) if (!(name in want)) out.push(`table ${name}: restored but not in the dump's inventory`);
  return out.slice(0, MAX_DIFFERENCES);
}

/**
 * The stanzas of an age header (`-> X25519 …`, `-> scrypt …`), from the payload's first bytes.
 * @throws Error when the bytes do not start with an age v1 header
 */
export function ageStanzas(head: Buffer): string[] {
  const text = head.toString("latin1");
  if (!text.startsWith("age-encryption.org/v1\n")) throw new Error("the payload does not start with an age v1 header");
  const end = text.indexOf("\n--- ");
  if (end < 0) throw new Error("the age header is cut short or has no MAC line");
  return text
    .slice(0, end)
    .split("\n")
    .filter((l) => l.startsWith("-> "))
    .map((l) => l.slice(3).split(" ")[0]!);
}

type Translate = (locale: string, key: string, params: Record<string, string | number>) => string;

/** The drill's message in `locale` (locales/<lang>/drill.ftl). */
export function drillText(t: Translate, locale: string, r: DrillReport): string {
  const params = {
    job: r.job,
    run: r.runId ?? "—",
    at: r.runAt ? `${r.runAt.toISOString().slice(0, 16).replace("T", " ")} UTC` : "—",
    duration: formatDuration(r.durationMs),
    restore: r.restoreMs === null ? "—" : formatDuration(r.restoreMs),
    tables: r.tables ?? 0,
    files: r.files ?? 0,
    recipients: r.recipients ?? 0,
    differences: r.differences.map((d) => `• ${d}`).join("\n") || "—",
    error: r.error ?? "",
  };
  if (r.status === "failed") return t(locale, r.error ? "drill-error" : "drill-failed", params);
  if (r.level === "partial") return t(locale, "drill-partial", params);
  return t(locale, r.uncounted ? "drill-passed-uncounted" : r.files !== null ? "drill-passed-files" : "drill-passed", params);
}
