import { lazyRequire } from "../lazy.js";
import { isAgeRecipient } from "../crypto/bech32.js";
import { CLOUD_DOWNLOAD_LIMIT } from "../telegram/api.js";

const cronParser = () => (lazyRequire("cron-parser") as typeof import("cron-parser")).CronExpressionParser;
import { isSecretRef, protectedEnvRef } from "../crypto/secret-ref.js";
import type { Compression, NotifyRoutes, Retention } from "../domain.js";
import type { DumpFormat, SourceKind } from "../sources/port.js";
import { ValidationError, type Issue } from "./errors.js";

/**
 * Shared validators for everything a user can configure (bot, CLI, YAML).
 * Each `check*` returns an error message, or undefined when the value is fine.
 * Messages may quote the offending value, except for secrets, which are never echoed.
 */

/** What an exported secret looks like; importing it back keeps the stored secret. */
export const SECRET_MASK = "***";

export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export const COMPRESSIONS: readonly Compression[] = ["gzip", "zstd", "none"];
export const DEFAULT_COMPRESSION: Compression = "gzip";

/** Formats each source kind can produce; the first is the default. */
export const FORMATS_BY_KIND: Readonly<Record<SourceKind, readonly DumpFormat[]>> = {
  postgres: ["sql", "custom"],
  mysql: ["sql"],
  sqlite: ["sql"],
  volume: ["tar"],
  directory: ["tar"],
};

export const RETENTION_KEYS = ["keep_last", "keep_daily", "keep_weekly", "keep_monthly", "max_age_days"] as const satisfies readonly (keyof Retention)[];

export const MIB = 1024 * 1024;
const MIN_PART_SIZE = MIB;
/** The self-hosted Bot API upload limit; the cloud API's smaller limit is the telegram destination's to enforce. */
export const MAX_PART_SIZE = 2000 * MIB;

/** Collects issues under a path prefix; `at()` gives a child that writes into the same list. */
export class Issues {
  constructor(
    readonly items: Issue[] = [],
    private readonly prefix = "",
  ) {}

  add(path: string, message: string): void {
    this.items.push({ path: joinPath(this.prefix, path), message });
  }

  at(path: string): Issues {
    return new Issues(this.items, joinPath(this.prefix, path));
  }

  get ok(): boolean {
    return this.items.length === 0;
  }

  throwIfAny(): void {
    if (this.items.length > 0) throw new ValidationError([...this.items]);
  }
}

export function joinPath(prefix: string, path: string): string {
  if (!prefix) return path;
  if (!path) return prefix;
  return path.startsWith("[") ? `${prefix}${path}` : `${prefix}.${path}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A short, safe rendering of a (non-secret) value for messages. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return typeof value;
}

/** Reports every key of `obj` not in `allowed`. */
export function checkKnownKeys(obj: Record<string, unknown>, allowed: readonly string[], issues: Issues, what: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) issues.add(key, `unknown key for ${what} (allowed: ${allowed.join(", ")})`);
  }
}

export function checkOneOf<T extends string>(value: unknown, allowed: readonly T[]): string | undefined {
  if (value === undefined || value === null) return "is required";
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) return `must be one of ${allowed.join(", ")}`;
  return undefined;
}

export function checkName(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return "is required";
  if (typeof value !== "string") return `must be a text name, got ${show(value)}`;
  if (!NAME_PATTERN.test(value)) {
    return `${show(value)} is not a valid name: use 1-63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit`;
  }
  return undefined;
}

export function checkRequiredString(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return "is required";
  if (typeof value !== "string") return `must be text, got ${show(value)}`;
  if (value.trim() !== value) return "must not start or end with spaces";
  return undefined;
}

export function checkHost(value: unknown): string | undefined {
  const err = checkRequiredString(value);
  if (err) return err;
  if (!/^[A-Za-z0-9._:%[\]-]+$/.test(value as string)) return `${show(value)} is not a valid host name or address`;
  return undefined;
}

export function checkPort(value: unknown): string | undefined {
  if (value === undefined || value === null) return "is required";
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) {
    return `must be a whole number between 1 and 65535, got ${show(value)}`;
  }
  return undefined;
}

export function checkAbsolutePath(value: unknown): string | undefined {
  const err = checkRequiredString(value);
  if (err) return err;
  if (!(value as string).startsWith("/")) return `${show(value)} must be an absolute path (starting with /)`;
  if ((value as string).includes("\0")) return "must not contain NUL characters";
  return undefined;
}

/** Docker volume names: what `docker volume create` accepts. */
export function checkVolumeName(value: unknown): string | undefined {
  const err = checkRequiredString(value);
  if (err) return err;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(value as string)) return `${show(value)} is not a valid Docker volume name`;
  return undefined;
}

/**
 * A secret given literally or as `env:NAME` / `file:/path`. Never echoes the value.
 * Something that starts like a reference but is not a valid one is refused: used
 * literally it would silently become the secret itself.
 */
export function checkSecret(value: unknown, options: { allowEmpty?: boolean } = {}): string | undefined {
  if (value === undefined || value === null) return "is required";
  if (typeof value !== "string") return "must be text (a literal value, env:NAME or file:/path)";
  if (value === "" && !options.allowEmpty) return "must not be empty";
  if ((value.startsWith("env:") || value.startsWith("file:")) && !isSecretRef(value)) {
    return "is not a valid reference: use env:NAME (letters, digits and _) or file:/absolute/path";
  }
  const own = protectedEnvRef(value);
  if (own) return `may not reference ${own}: that is one of tele-backup's own secrets`;
  return undefined;
}

/** A Telegram bot token, literally or as a reference (the mask is handled by the caller). */
export function checkBotToken(value: unknown): string | undefined {
  const err = checkSecret(value);
  if (err) return err;
  if (isSecretRef(value as string)) return undefined;
  if (!/^\d+:[\w-]{20,}$/.test(value as string)) return "does not look like a bot token (expected <digits>:<letters>), or use env:NAME / file:/path";
  return undefined;
}

/** A chat id (`-100…`, digits) or a public `@channelname`; numbers are accepted and normalised to text. */
export function parseChatId(value: unknown): { value: string } | { error: string } {
  if (value === undefined || value === null || value === "") return { error: "is required" };
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) return { error: `${show(value)} is not a valid chat id; quote it: "-100…"` };
    return { value: String(value) };
  }
  if (typeof value !== "string") return { error: `must be a chat id such as "-1001234567890" or "@channel", got ${show(value)}` };
  if (/^-?\d{1,20}$/.test(value) || /^@[A-Za-z][A-Za-z0-9_]{3,}$/.test(value)) return { value };
  return { error: `${show(value)} is not a chat id (e.g. "-1001234567890" or "@channelname")` };
}

export function checkThreadId(value: unknown): string | undefined {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) return `must be a positive whole number (a forum topic id), got ${show(value)}`;
  return undefined;
}

/** 5 fields (minute hour day month weekday) or 6 (with seconds first). */
export function checkCron(value: unknown, timezone?: string): string | undefined {
  if (value === undefined || value === null || value === "") return "is required";
  if (typeof value !== "string") return `must be a cron expression in quotes, got ${show(value)}`;
  const fields = value.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return `${show(value)} is not a valid cron expression (expected 5 fields "minute hour day month weekday", or 6 with seconds first)`;
  }
  try {
    cronParser().parse(value, timezone ? { tz: timezone } : {}).next();
  } catch (err) {
    return `${show(value)} is not a valid cron expression (${(err as Error).message})`;
  }
  return undefined;
}

/** An IANA time zone both Intl and the scheduler's date library understand. */
export function checkTimezone(value: unknown): string | undefined {
  if (typeof value !== "string" || value === "") return `must be an IANA time zone such as "Europe/Berlin", got ${show(value)}`;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    cronParser().parse("* * * * *", { tz: value }).next();
  } catch {
    return `${show(value)} is not a known IANA time zone (e.g. "Europe/Berlin", "UTC")`;
  }
  return undefined;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: MIB,
  mib: MIB,
  mb: 1000 * 1000,
  g: 1024 * MIB,
  gib: 1024 * MIB,
  gb: 1000 * 1000 * 1000,
};

/** Parses `19MiB`, `50MB`, `1G`, `1048576` or a number of bytes (K/M/G alone are binary, like `split -b`). */
export function parseSize(value: unknown): { value: number } | { error: string } {
  const hint = 'must be a size such as "19MiB", "50MB" or a number of bytes';
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value <= 0) return { error: `${hint}, got ${show(value)}` };
    return { value };
  }
  if (typeof value !== "string") return { error: `${hint}, got ${show(value)}` };
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value);
  const unit = m ? SIZE_UNITS[(m[2] ?? "").toLowerCase() || "b"] : undefined;
  if (!m || unit === undefined) return { error: `${hint}, got ${show(value)}` };
  const bytes = Number(m[1]) * unit;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) return { error: `${hint} (a whole number of bytes), got ${show(value)}` };
  return { value: bytes };
}

/** The inverse of parseSize for display and export: `19MiB`, `50MB`, `512KiB` or plain bytes. */
export function formatSize(bytes: number): string | number {
  if (bytes % (1024 * MIB) === 0) return `${bytes / (1024 * MIB)}GiB`;
  if (bytes % MIB === 0) return `${bytes / MIB}MiB`;
  if (bytes % 1_000_000 === 0) return `${bytes / 1_000_000}MB`;
  if (bytes % 1024 === 0) return `${bytes / 1024}KiB`;
  return bytes;
}

/**
 * A part larger than a destination can hand back through the configured API could be stored
 * but never read back (nor restored by this tool). Today that is a Telegram destination on the
 * cloud Bot API, whose getFile serves at most 20 MB; a self-hosted Bot API server lifts the
 * download limit (its 2000 MB upload limit is `MAX_PART_SIZE` for every job).
 */
export interface PartSizeProblem {
  /** The first destination that cannot give such parts back. */
  destination: string;
  partSize: number;
  /** The largest part it can give back, in bytes. */
  limit: number;
}

export function partSizeProblem(
  partSize: number,
  destinations: ReadonlyArray<{ name: string; kind: string | null | undefined }>,
  telegramSelfHosted: boolean,
): PartSizeProblem | null {
  if (telegramSelfHosted) return null;
  const telegram = destinations.find((d) => d.kind === "telegram");
  if (!telegram || partSize <= CLOUD_DOWNLOAD_LIMIT) return null;
  return { destination: telegram.name, partSize, limit: CLOUD_DOWNLOAD_LIMIT };
}

/** The service's (English) wording of a `PartSizeProblem`, with the limit and the fix. */
export function partSizeProblemText(p: PartSizeProblem): string {
  return `${showBytes(p.partSize)} is above the 20 MB a bot can download from the cloud Bot API (destination "${p.destination}"); use 19MiB or a self-hosted Bot API server (parts up to 2000 MB)`;
}

/** "30 MiB", "19.5 MiB", "512 KiB": a part size as people read it. */
export function showBytes(bytes: number): string {
  if (bytes >= MIB) return `${Number((bytes / MIB).toFixed(1))} MiB`;
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(1))} KiB`;
  return `${bytes} B`;
}

export function parsePartSize(value: unknown): { value: number } | { error: string } {
  const parsed = parseSize(value);
  if ("error" in parsed) return parsed;
  if (parsed.value < MIN_PART_SIZE || parsed.value > MAX_PART_SIZE) {
    return { error: `must be between 1MiB and 2000MiB, got ${show(value)}` };
  }
  return parsed;
}

/** An age public key (`age1…`, including post-quantum `age1pq1…`). */
export function checkAgeRecipient(value: unknown): string | undefined {
  if (typeof value !== "string" || value === "") return `must be an age public key (age1…), got ${show(value)}`;
  if (value.startsWith("AGE-SECRET-KEY-")) return "is an age SECRET key; give its public key (age1…) instead (age-keygen -y)";
  if (!isAgeRecipient(value)) return `${show(value)} is not a valid age recipient (expected a public key starting with age1)`;
  return undefined;
}

/** Validates a retention mapping; returns the normalised value (only known keys, all non-negative integers). */
export function parseRetention(value: unknown, issues: Issues): Retention {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) {
    issues.add("", `must be a mapping such as { keep_last: 14, keep_daily: 7 }, got ${show(value)}`);
    return {};
  }
  checkKnownKeys(value, RETENTION_KEYS, issues, "retention");
  const out: Retention = {};
  for (const key of RETENTION_KEYS) {
    const v = value[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
      issues.add(key, `must be a whole number of 0 or more, got ${show(v)}`);
      continue;
    }
    out[key] = v;
  }
  return out;
}

export function checkBoolean(value: unknown): string | undefined {
  if (typeof value !== "boolean") return `must be true or false, got ${show(value)}`;
  return undefined;
}

/** `name` or numeric id → lookup key, for commands such as `backup <job>`. */
/**
 * The row a user's reference names: a name first, else a numeric id (a number, or digits when
 * nothing has that name). Sources, destinations and jobs are all referred to this way.
 */
export function findByRef<R>(repo: { findByName(name: string): R | null; findById(id: number): R | null }, ref: string | number): R | null {
  if (typeof ref === "string") {
    const byName = repo.findByName(ref);
    if (byName) return byName;
  }
  const id = asIdCandidate(ref);
  return id === undefined ? null : repo.findById(id);
}

export function asIdCandidate(ref: string | number): number | undefined {
  if (typeof ref === "number") return Number.isSafeInteger(ref) ? ref : undefined;
  return /^\d{1,15}$/.test(ref) ? Number(ref) : undefined;
}

/** Structural equality of JSON values, ignoring key order. */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

/** `notify: { success: { chat_id, thread_id? }, failure: { ... } }` — both optional. */
export function parseNotifyRoutes(value: unknown, issues: Issues): NotifyRoutes {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) {
    issues.add("", "must be a mapping with optional success and failure");
    return {};
  }
  checkKnownKeys(value, ["success", "failure"], issues, "notify");
  const out: NotifyRoutes = {};
  for (const key of ["success", "failure"] as const) {
    const route = value[key];
    if (route === undefined || route === null) continue;
    if (!isPlainObject(route)) {
      issues.add(key, "must be a mapping with chat_id and optional thread_id");
      continue;
    }
    checkKnownKeys(route, ["chat_id", "thread_id"], issues.at(key), "route");
    const chat = parseChatId(route.chat_id);
    if ("error" in chat) {
      issues.add(`${key}.chat_id`, chat.error);
      continue;
    }
    const threadErr = route.thread_id === undefined ? undefined : checkThreadId(route.thread_id);
    if (threadErr) issues.add(`${key}.thread_id`, threadErr);
    out[key] = { chat_id: chat.value, ...(route.thread_id !== undefined && !threadErr ? { thread_id: route.thread_id as number } : {}) };
  }
  return out;
}
