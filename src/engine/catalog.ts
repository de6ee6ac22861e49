import { createHash } from "node:crypto";
import type { Compression, Retention } from "../domain.js";
import type { JobRow, RunPartRow, RunRow, SourceRow } from "../db/schema.js";
import type { DumpFormat, SourceKind } from "../sources/port.js";
import { VERSION } from "../version.js";

/**
 * The catalog a Telegram chat holds about itself (README "The catalog"): every run this
 * installation still keeps in that chat, with where each part is, and the definitions of the
 * jobs behind them without any secret. It is the chat's pinned message, so `getChat` alone finds
 * it on a new host (`tele-backup adopt`).
 *
 * Versioning: `version` grows when a reader of an older version could misread a catalog;
 * fields may be added within a version. A reader refuses a version above its own.
 */
export const CATALOG_FORMAT = "tele-backup-catalog";
export const CATALOG_VERSION = 1;
/** File name of the pinned document (the head); continuation documents are `…​.<n>.part`. */
export const CATALOG_FILE = "tele-backup-catalog.json";

export interface CatalogSource {
  name: string;
  kind: SourceKind;
  /** The source's non-secret settings (host, port, database, user, path, volume). */
  settings: Record<string, unknown>;
  /** Whether the source had a password (it is not in the catalog: adopt asks for it). */
  has_password: boolean;
}

export interface CatalogJob {
  name: string;
  source: CatalogSource;
  schedule: string;
  timezone: string | null;
  format: DumpFormat;
  compression: Compression;
  /** Recipients are public keys; a passphrase is never written, only that there was one. */
  encryption: { type: "none" } | { type: "recipients"; recipients: string[] } | { type: "passphrase" };
  part_size: number;
  retention: Retention;
}

export interface CatalogPart {
  /** 1-based part number; 0 is the run's manifest. */
  index: number;
  name: string;
  size: number;
  sha256: string;
  message_id: number | null;
  file_id: string | null;
  stored_at: string;
}

export interface CatalogRun {
  run_id: number;
  installation_id: string | null;
  job: string;
  source_kind: string;
  started_at: string;
  finished_at: string | null;
  /** Every part was read back intact right after the upload. */
  verified: boolean;
  file_name: string | null;
  raw_size: number | null;
  payload_size: number | null;
  sha256: string | null;
  part_count: number | null;
  encryption: "none" | "recipients" | "passphrase";
  compression: string;
  format: string | null;
  /** The parts (and the manifest) in this chat. */
  parts: CatalogPart[];
  /** The run's manifest as it was posted (README "Backup format"). */
  manifest: Record<string, unknown> | null;
  /** The same messages copied to the destination's mirror chat (README "Mirror chat"). */
  mirror?: { chat: string; parts: CatalogPart[] };
  /** Another installation took this run over (`adopt --take-over`): it prunes it from now on. */
  handed_over?: { to: string; at: string };
}

/** Another installation's catalog seen pinned in the same chat (getChat shows only the newest pin). */
export interface CatalogPointer {
  installation_id: string;
  sequence: number;
  written_at: string;
  /** Its pinned (head) document; the file_id is usable by the same bot only. */
  message_id: number;
  file_id: string;
}

/** A run this installation took over from another one (so that one stops pruning it). */
export interface CatalogTakeover {
  installation_id: string;
  job: string;
  file_name: string;
  at: string;
}

export interface Catalog {
  format: typeof CATALOG_FORMAT;
  version: number;
  tool_version: string;
  installation_id: string;
  /** Grows with every catalog this installation publishes in this chat. */
  sequence: number;
  written_at: string;
  /** The chat, and the destination's name in the installation that wrote it. */
  chat: { id: string; name?: string; thread_id?: number };
  jobs: CatalogJob[];
  runs: CatalogRun[];
  /** Catalogs of other installations seen pinned in this chat, so `adopt` finds them all. */
  others?: CatalogPointer[];
  /** Runs taken over from other installations (theirs to stop pruning). */
  taken_over?: CatalogTakeover[];
}

/** The pinned document of a catalog too large for one document: where its bytes are. */
export interface CatalogHead {
  format: typeof CATALOG_FORMAT;
  version: number;
  installation_id: string;
  sequence: number;
  written_at: string;
  /** The catalog's JSON text is the concatenation of these documents, in order. */
  chain: { size: number; sha256: string; parts: Array<{ message_id: number; file_id: string; size: number; sha256: string }> };
}

/** The catalog in the chat is of a newer format than this program reads. */
export class CatalogVersionError extends Error {
  override name = "CatalogVersionError";
  constructor(readonly found: number) {
    super(`the catalog was written by a newer Tele-Backup (catalog format ${found}; this version reads up to ${CATALOG_VERSION}): update Tele-Backup, then adopt again`);
  }
}

/** The chat's pinned message is not a catalog, or the catalog cannot be read. */
export class CatalogError extends Error {
  override name = "CatalogError";
}

export interface CatalogInput {
  installationId: string;
  sequence: number;
  now: Date;
  chat: Catalog["chat"];
  /** Runs kept in this chat, each with its live parts there. */
  runs: Array<{ run: RunRow; parts: RunPartRow[] }>;
  /** Jobs of those runs and jobs delivering to this chat, with their sources. */
  jobs: Array<{ job: JobRow; source: SourceRow | null }>;
  /** Copies of the runs' parts in the destination's mirror chat, by run id. */
  mirrors?: ReadonlyMap<number, RunPartRow[]>;
  /** Runs this installation handed over to another one, by run id. */
  handedOver?: ReadonlyMap<number, { to: string; at: string }>;
  others?: CatalogPointer[];
  takenOver?: CatalogTakeover[];
}

export function buildCatalog(input: CatalogInput): Catalog {
  return {
    format: CATALOG_FORMAT,
    version: CATALOG_VERSION,
    tool_version: VERSION,
    installation_id: input.installationId,
    sequence: input.sequence,
    written_at: input.now.toISOString(),
    chat: input.chat,
    jobs: input.jobs.flatMap(({ job, source }) => (source ? [catalogJob(job, source)] : [])),
    runs: input.runs.map(({ run, parts }): CatalogRun => {
      const mirror = input.mirrors?.get(run.id) ?? [];
      return {
      run_id: run.id,
      installation_id: run.installationId,
      job: run.jobName,
      source_kind: run.sourceKind,
      started_at: run.startedAt.toISOString(),
      finished_at: run.finishedAt?.toISOString() ?? null,
      verified: run.verifiedAt != null,
      file_name: run.fileName,
      raw_size: run.rawSize,
      payload_size: run.payloadSize,
      sha256: run.sha256,
      part_count: run.partCount,
      encryption: run.encryption,
      compression: run.compression,
      format: run.format,
      parts: parts.map(catalogPart),
      manifest: run.manifest ?? null,
      ...(mirror.length > 0 ? { mirror: { chat: mirror[0]!.locator ?? "", parts: mirror.map(catalogPart) } } : {}),
      ...(input.handedOver?.has(run.id) ? { handed_over: input.handedOver.get(run.id)! } : {}),
      };
    }),
    ...(input.others?.length ? { others: input.others } : {}),
    ...(input.takenOver?.length ? { taken_over: input.takenOver } : {}),
  };
}

function catalogPart(p: RunPartRow): CatalogPart {
  return {
    index: p.partIndex,
    name: p.name,
    size: p.size,
    sha256: p.sha256,
    message_id: p.messageId,
    file_id: p.fileId,
    stored_at: p.storedAt.toISOString(),
  };
}

function catalogJob(job: JobRow, source: SourceRow): CatalogJob {
  return {
    name: job.name,
    source: { name: source.name, kind: source.kind, settings: { ...source.settings }, has_password: source.passwordEnc != null },
    schedule: job.schedule,
    timezone: job.timezone,
    format: job.format,
    compression: job.compression,
    encryption: job.recipients.length > 0 ? { type: "recipients", recipients: [...job.recipients] } : job.passphraseEnc != null ? { type: "passphrase" } : { type: "none" },
    part_size: job.partSize,
    retention: { ...job.retention },
  };
}

/** A run of the catalog is complete when every part 1..part_count is in the chat with a file_id. */
export function isComplete(run: CatalogRun): boolean {
  const count = run.part_count ?? 0;
  if (count === 0) return false;
  const have = new Set(run.parts.filter((p) => p.file_id).map((p) => p.index));
  for (let i = 1; i <= count; i++) if (!have.has(i)) return false;
  return true;
}

/** The catalog as the bytes of its documents: one when it fits in `maxBytes`, else a chain. */
export function serializeCatalog(catalog: Catalog, maxBytes: number): { text: Buffer; chunks: Buffer[] } {
  const text = Buffer.from(JSON.stringify(catalog) + "\n");
  if (text.length <= maxBytes) return { text, chunks: [] };
  const chunks: Buffer[] = [];
  for (let i = 0; i < text.length; i += maxBytes) chunks.push(text.subarray(i, i + maxBytes));
  return { text, chunks };
}

export function chainHead(catalog: Catalog, text: Buffer, parts: CatalogHead["chain"]["parts"]): CatalogHead {
  return {
    format: CATALOG_FORMAT,
    version: CATALOG_VERSION,
    installation_id: catalog.installation_id,
    sequence: catalog.sequence,
    written_at: catalog.written_at,
    chain: { size: text.length, sha256: sha256(text), parts },
  };
}

export const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

/**
 * Reads a pinned document: a whole catalog, or the head of a chain whose documents
 * `fetchPart` brings (each checked against its sha256).
 * @throws CatalogError (not a catalog, damaged), CatalogVersionError (newer format)
 */
export async function parseCatalog(head: Buffer, fetchPart: (p: CatalogHead["chain"]["parts"][number]) => Promise<Buffer>): Promise<Catalog> {
  const doc = parseJson(head) as Partial<Catalog & CatalogHead>;
  if (doc?.format !== CATALOG_FORMAT) throw new CatalogError("the chat's pinned message is not a Tele-Backup catalog");
  if (typeof doc.version !== "number") throw new CatalogError("the catalog has no format version");
  if (doc.version > CATALOG_VERSION) throw new CatalogVersionError(doc.version);
  if (!doc.chain) return checkCatalog(doc);
  const pieces: Buffer[] = [];
  for (const p of doc.chain.parts) {
    const piece = await fetchPart(p);
    if (piece.length !== p.size || sha256(piece) !== p.sha256) throw new CatalogError(`a continuation document of the catalog (message ${p.message_id}) is damaged`);
    pieces.push(piece);
  }
  const text = Buffer.concat(pieces);
  if (text.length !== doc.chain.size || sha256(text) !== doc.chain.sha256) throw new CatalogError("the catalog's continuation documents do not add up to the catalog");
  const full = parseJson(text) as Partial<Catalog>;
  if (full?.format !== CATALOG_FORMAT) throw new CatalogError("the catalog's continuation documents are not a catalog");
  if (typeof full.version === "number" && full.version > CATALOG_VERSION) throw new CatalogVersionError(full.version);
  return checkCatalog(full);
}

function parseJson(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString("utf8"));
  } catch {
    throw new CatalogError("the chat's pinned document is not JSON: not a Tele-Backup catalog");
  }
}

function checkCatalog(doc: Partial<Catalog>): Catalog {
  if (typeof doc.installation_id !== "string" || !Array.isArray(doc.runs) || !Array.isArray(doc.jobs)) {
    throw new CatalogError("the catalog is incomplete (no installation id, runs or jobs)");
  }
  return doc as Catalog;
}

/** Reads the catalog pinned in a chat (and its chain). @throws CatalogError, CatalogVersionError, CatalogChatError */
export async function readPinnedCatalog(
  chat: { pinned(signal?: AbortSignal): Promise<{ messageId: number; fileId: string | null } | null>; download(fileId: string, signal?: AbortSignal): Promise<Buffer> },
  signal?: AbortSignal,
): Promise<Catalog> {
  const pinned = await chat.pinned(signal);
  if (!pinned) throw new CatalogError("the chat has no pinned message: no Tele-Backup catalog was published there (or it was unpinned)");
  if (!pinned.fileId) throw new CatalogError("the chat's pinned message is not a document: not a Tele-Backup catalog");
  return parseCatalog(await chat.download(pinned.fileId, signal), (p) => chat.download(p.file_id, signal));
}
