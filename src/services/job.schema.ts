import * as v from "valibot";
import { isAgeRecipient } from "../crypto/bech32.js";
import { isSecretRef, protectedEnvRef } from "../crypto/secret-ref.js";
import { compressionSchema, notifySchema, retentionSchema } from "../domain/job.schema.js";
import { booleanSchema, nameSchema, optional, required, requiredAs, said, say, sayValue, secretSchema, show, strictMapping } from "../shared/schema.js";
import type { DumpFormat } from "../sources/port.js";
import { SOURCE_SCHEMAS } from "../sources/registry.js";
import { canonicalZone, readZone } from "../shared/zones.js";
import { cronParser } from "../shared/cron-rules.js";
import { hooksSchema, pingUrlSchema } from "./job-extras.schema.js";
import { anomalySchema, drillSchema } from "./job-proof.schema.js";

/**
 * The job's configuration as users write it (YAML, CLI, bot): one schema, whose keys are
 * `JOB_KEYS` and whose types are `JobSpec` / `JobFields`. Rules that need other entities
 * (references, the source kind's formats, part sizes a destination can give back, the mask
 * of a stored passphrase) are the service's (job-rules.ts).
 */

export const MIB = 1024 * 1024;
const MIN_PART_SIZE = MIB;
/** The self-hosted Bot API upload limit; the cloud API's smaller limit is the telegram destination's to enforce. */
export const MAX_PART_SIZE = 2000 * MIB;

/** 5 fields (minute hour day month weekday) or 6 (with seconds first); normalised to single spaces. */
export const cronSchema = required(
  v.pipe(
    v.string(sayValue("validation-cron-type")),
    v.check((s) => [5, 6].includes(s.trim().split(/\s+/).length), sayValue("validation-cron-fields")),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      try {
        cronParser().parse(dataset.value, {}).next();
      } catch (err) {
        addIssue({ message: said("validation-cron", { value: show(dataset.value), reason: (err as Error).message }) });
      }
    }),
    v.transform((s) => s.trim().replace(/\s+/g, " ")),
  ),
);

/** An IANA time zone as written (any letter case), one both Intl and the scheduler's date library understand. */
export const ianaZoneSchema = v.pipe(
  v.string(sayValue("validation-timezone-type")),
  v.minLength(1, sayValue("validation-timezone-type")),
  v.check((zone) => canonicalZone(zone) !== undefined && schedulable(zone), sayValue("validation-timezone")),
);

/**
 * A time zone as people name it (src/shared/zones.ts: "Europe/Berlin", "Berlin", "MSK", "Москва"),
 * read as its IANA name; an unknown name is refused with the nearest zones as suggestions.
 */
export const timezoneSchema = v.pipe(
  v.string(sayValue("validation-timezone-type")),
  v.minLength(1, sayValue("validation-timezone-type")),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const reading = readZone(dataset.value);
    if ("zone" in reading && schedulable(reading.zone)) return reading.zone;
    const suggestions = "suggestions" in reading ? reading.suggestions : [];
    addIssue({
      message:
        suggestions.length > 0
          ? said("validation-timezone-suggest", { value: show(dataset.value), zones: suggestions.join(", ") })
          : said("validation-timezone", { value: show(dataset.value) }),
    });
    return NEVER;
  }),
);

function schedulable(zone: string): boolean {
  try {
    cronParser().parse("* * * * *", { tz: zone }).next();
    return true;
  } catch {
    return false;
  }
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

/** `19MiB`, `50MB`, `1G`, `1048576` or a number of bytes (K/M/G alone are binary, like `split -b`), in bytes. */
export const sizeSchema = v.pipe(
  v.union([v.number(), v.string()], sayValue("validation-size")),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const value = dataset.value;
    let bytes: number | undefined;
    if (typeof value === "number") bytes = value;
    else {
      const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value);
      const unit = m ? SIZE_UNITS[(m[2] ?? "").toLowerCase() || "b"] : undefined;
      if (m && unit !== undefined) bytes = Number(m[1]) * unit;
      else {
        addIssue({ message: said("validation-size", { value: show(value) }) });
        return NEVER;
      }
    }
    if (!Number.isSafeInteger(bytes) || bytes <= 0) {
      addIssue({ message: said(typeof value === "number" ? "validation-size" : "validation-size-whole", { value: show(value) }) });
      return NEVER;
    }
    return bytes;
  }),
);

/** A part size: 1MiB to 2000MiB. */
export const partSizeSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const parsed = v.safeParse(sizeSchema, dataset.value);
    if (!parsed.success) {
      addIssue({ message: parsed.issues[0].message });
      return NEVER;
    }
    if (parsed.output < MIN_PART_SIZE || parsed.output > MAX_PART_SIZE) {
      addIssue({ message: said("validation-part-size-range", { value: show(dataset.value) }) });
      return NEVER;
    }
    return parsed.output;
  }),
);

/** An age public key (`age1…`, including post-quantum `age1pq1…`). */
export const ageRecipientSchema = v.pipe(
  v.string(sayValue("validation-age-type")),
  v.minLength(1, sayValue("validation-age-type")),
  v.check((s) => !s.startsWith("AGE-SECRET-KEY-"), say("validation-age-secret")),
  v.check(isAgeRecipient, sayValue("validation-age")),
);

const recipientsSchema = v.pipe(
  v.array(ageRecipientSchema, say("validation-recipients")),
  v.minLength(1, say("validation-recipients")),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    dataset.value.forEach((r, i) => {
      if (dataset.value.indexOf(r) !== i) {
        addIssue({ message: said("validation-listed-twice"), path: [{ type: "array", origin: "value", input: dataset.value, key: i, value: r }] });
      }
    });
  }),
);

/** Exactly one of `recipients` (age public keys) or `passphrase` (a secret; `"***"` keeps the stored one). */
export const encryptionSchema = v.pipe(
  strictMapping(
    { recipients: optional(recipientsSchema), passphrase: optional(secretSchema({ isRef: isSecretRef, protectedRef: protectedEnvRef })) },
    { key: "validation-what-encryption" },
    "validation-encryption-type",
  ),
  v.check((e) => (e.recipients === undefined) !== (e.passphrase === undefined), say("validation-encryption-one")),
);

/** Every format some source kind can produce (each kind's own list is in its schema). */
export const FORMATS: readonly DumpFormat[] = [...new Set(Object.values(SOURCE_SCHEMAS).flatMap((s) => s.formats))];

const formatSchema = v.picklist(FORMATS as DumpFormat[], say("validation-format", (i) => ({ allowed: FORMATS.join(", "), value: show(i.input) })));

const destinationsSchema = v.pipe(
  v.array(nameSchema, say("validation-destinations")),
  v.minLength(1, say("validation-destinations")),
);

const JOB_ENTRIES = {
  name: nameSchema,
  source: requiredAs("validation-source-required", nameSchema),
  destinations: requiredAs("validation-destinations", destinationsSchema),
  schedule: cronSchema,
  timezone: optional(timezoneSchema),
  format: optional(formatSchema),
  compression: optional(compressionSchema),
  encryption: optional(encryptionSchema),
  part_size: optional(partSizeSchema),
  retention: optional(retentionSchema),
  enabled: optional(booleanSchema),
  notify: optional(notifySchema),
  hooks: optional(hooksSchema),
  ping: optional(pingUrlSchema),
  webhook: optional(pingUrlSchema),
  drill: optional(drillSchema),
  anomaly: optional(anomalySchema),
};

/**
 * A job: `source` and `destinations` are names. Omitted: `timezone` → the TZ default, `format`
 * → the source kind's default, `compression` → gzip, `part_size` → DEFAULT_PART_SIZE,
 * `retention` → keep everything, `enabled` → true, `encryption` → none.
 */
export const jobSchema = strictMapping(JOB_ENTRIES, { key: "validation-what-job" }, "validation-job-type");

/** The keys a job takes, in export order. */
export const JOB_KEYS = Object.keys(JOB_ENTRIES) as ReadonlyArray<keyof typeof JOB_ENTRIES>;

/** A job's fields once parsed (part_size in bytes; absent optional keys undefined). */
export type JobFields = v.InferOutput<typeof jobSchema>;

export type JobEncryptionSpec = { recipients: string[] } | { passphrase: string };

/**
 * A job as users write it (the YAML keys): the parsed fields, with a part size in bytes or as
 * text ("19MiB"), and `null` for "none" where an update removes a setting.
 * `passphrase: "***"` keeps the stored one.
 */
export type JobSpec = Omit<JobFields, "part_size" | "timezone" | "encryption"> & {
  part_size?: number | string;
  timezone?: string | null;
  encryption?: JobEncryptionSpec | null;
};

export const DEFAULT_COMPRESSION = "gzip" satisfies JobFields["compression"];
