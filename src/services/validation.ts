import type * as v from "valibot";
import { retentionSchema } from "../domain/job.schema.js";
import {
  absolutePathSchema,
  chatIdSchema,
  check,
  hostSchema,
  issue,
  joinPath,
  mappingKeys,
  nameSchema,
  portSchema,
  problemOf,
  secretSchema,
  textSchema,
  volumeNameSchema,
  type Issue,
} from "../shared/schema.js";
import type { TranslatableParam } from "../shared/translatable.js";
import { isSecretRef, protectedEnvRef } from "../crypto/secret-ref.js";
import { botTokenSchema } from "../destinations/telegram.schema.js";
import { CLOUD_DOWNLOAD_LIMIT } from "../telegram/api.js";
import { ValidationError } from "./errors.js";
import { ageRecipientSchema, cronSchema, ianaZoneSchema, MIB, partSizeSchema, sizeSchema, timezoneSchema } from "./job.schema.js";

/**
 * What the services share besides the schemas (job.schema.ts, domain/job.schema.ts, each kind's
 * schema beside its driver): the issue list, references by name or id, and single-value checks
 * for the dialogs (each is its schema's first issue in English, or undefined).
 */

export { COMPRESSIONS } from "../domain/job.schema.js";
export { DEFAULT_COMPRESSION, MIB } from "./job.schema.js";
export { SECRET_MASK } from "../shared/schema.js";


/** The retention rules, in display order. */
export const RETENTION_KEYS = mappingKeys(retentionSchema) as ReadonlyArray<keyof v.InferOutput<typeof retentionSchema>>;

/** Collects issues under a path prefix; `at()` gives a child that writes into the same list. */
export class Issues {
  constructor(
    readonly items: Issue[] = [],
    private readonly prefix = "",
  ) {}

  /** An issue at `path` (below the prefix): a `validation.ftl` key and its parameters. */
  add(path: string, key: string, params?: Record<string, TranslatableParam>): void {
    this.items.push(issue(joinPath(this.prefix, path), key, params));
  }

  /** Issues found by a schema, relative to this prefix. */
  addAll(issues: readonly Issue[]): void {
    for (const i of issues) this.items.push({ ...i, path: joinPath(this.prefix, i.path) });
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

/** Structural equality of JSON values, ignoring key order and absent keys. */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

// ---- single values, for the dialogs: the English of the schema's first issue, or undefined ----

export const checkName = (value: unknown) => problemOf(nameSchema, value);
export const checkRequiredString = (value: unknown) => problemOf(textSchema, value);
export const checkHost = (value: unknown) => problemOf(hostSchema, value);
export const checkPort = (value: unknown) => problemOf(portSchema, value);
export const checkAbsolutePath = (value: unknown) => problemOf(absolutePathSchema, value);
export const checkVolumeName = (value: unknown) => problemOf(volumeNameSchema, value);
export const checkAgeRecipient = (value: unknown) => problemOf(ageRecipientSchema, value);
/** An IANA name exactly (any letter case), usable as it is; `parseTimezone` also reads "Moscow", "MSK", "Москва". */
export const checkTimezone = (value: unknown) => problemOf(ianaZoneSchema, value);
/** A time zone as people name it, as its IANA name; refused with the nearest zones in the message ("did you mean …"). */
export const parseTimezone = (value: unknown) => parsed(timezoneSchema, value);
export const checkBotToken = (value: unknown) => problemOf(botTokenSchema, value);
/** A cron expression (the time zone does not change which expressions are valid). */
export const checkCron = (value: unknown, _timezone?: string) => problemOf(cronSchema, value);
export const checkSecret = (value: unknown, options: { allowEmpty?: boolean } = {}) =>
  problemOf(secretSchema({ isRef: isSecretRef, protectedRef: protectedEnvRef }, options), value);

function parsed<T>(schema: v.GenericSchema<unknown, T>, value: unknown): { value: T } | { error: string } {
  const r = check(schema, value);
  return r.ok ? { value: r.value } : { error: r.issues[0]?.message ?? "is invalid" };
}

/** A chat id (`-100…`, digits) or a public `@channelname`; numbers are normalised to text. */
export const parseChatId = (value: unknown) => parsed(chatIdSchema, value);
/** `19MiB`, `50MB`, `1G`, `1048576` or a number of bytes, in bytes. */
export const parseSize = (value: unknown) => parsed(sizeSchema, value);
/** A part size, 1MiB to 2000MiB, in bytes. */
export const parsePartSize = (value: unknown) => parsed(partSizeSchema, value);

/** The inverse of parseSize for display and export: `19MiB`, `50MB`, `512KiB` or plain bytes. */
export function formatSize(bytes: number): string | number {
  if (bytes % (1024 * MIB) === 0) return `${bytes / (1024 * MIB)}GiB`;
  if (bytes % MIB === 0) return `${bytes / MIB}MiB`;
  if (bytes % 1_000_000 === 0) return `${bytes / 1_000_000}MB`;
  if (bytes % 1024 === 0) return `${bytes / 1024}KiB`;
  return bytes;
}

/** "30 MiB", "19.5 MiB", "512 KiB": a part size as people read it. */
export function showBytes(bytes: number): string {
  if (bytes >= MIB) return `${Number((bytes / MIB).toFixed(1))} MiB`;
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(1))} KiB`;
  return `${bytes} B`;
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

/** A `PartSizeProblem` as a translatable: the limit and the fix. */
export function partSizeProblemText(p: PartSizeProblem): { key: string; params: Record<string, string> } {
  return { key: "validation-part-size-cloud", params: { size: showBytes(p.partSize), destination: p.destination } };
}
