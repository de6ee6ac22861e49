import { DEFAULT_PART_SIZE, type Compression, type JobHooks, type NotifyRoutes, type Retention } from "../domain.js";
import type { JobWithDestinations } from "../repos/jobs.repo.js";
import { check, issue, isPlainObject, show, type Issue } from "../shared/schema.js";
import type { DumpFormat, SourceKind } from "../sources/port.js";
import type { SourceKindSchema } from "../sources/kind-schema.js";
import { SOURCE_SCHEMAS } from "../sources/registry.js";
import { DEFAULT_COMPRESSION, JOB_KEYS, jobSchema, type JobFields } from "./job.schema.js";
import { type Issues, type PartSizeProblem, partSizeProblemText, SECRET_MASK } from "./validation.js";

/**
 * The rules of a job that the schema alone cannot know: its references, its source kind's
 * formats, part sizes its destinations can give back, the stored passphrase a mask keeps, and
 * the secrets an adopted job still lacks.
 */

/** A validated job ready to be written; references are by name. `passphrase`: undefined keeps the stored one. */
export interface JobDraft {
  name: string;
  source: string;
  destinations: string[];
  schedule: string;
  timezone: string | null;
  format: DumpFormat;
  compression: Compression;
  recipients: string[];
  passphrase: string | null | undefined;
  partSize: number;
  retention: Retention;
  enabled: boolean;
  notify: NotifyRoutes;
  hooks: JobHooks;
  /** Ping and webhook URLs (or references): undefined keeps the stored one, null means none. */
  ping: string | null | undefined;
  webhook: string | null | undefined;
  /** Restore drills (issue 14): `schedule` (cron, "weekly" stored as is; absent = on demand only). */
  drill: { schedule?: string };
  /** The drill identity (or reference): undefined keeps the stored one, null means none. */
  drillIdentity: string | null | undefined;
  /** Anomaly thresholds overriding the defaults (src/engine/anomaly.ts). */
  anomaly: Record<string, number>;
}

/**
 * How `prepare` sees other entities. `sourceKind` returns undefined for an unknown source
 * and null for one that exists but whose kind is itself invalid (format then goes unchecked).
 */
export interface JobLookup {
  sourceKind(name: string): SourceKind | null | undefined;
  hasDestination(name: string): boolean;
  /** The destination's kind ("telegram", "local"); undefined when unknown. Without it, the part-size rule asks the database. */
  destinationKind?(name: string): string | null | undefined;
}

export interface JobRulesContext {
  lookup: JobLookup;
  partSizeProblem(partSize: number, destinations: readonly string[], lookup: JobLookup): PartSizeProblem | null;
  /** Secrets an adopted job still lacks once this passphrase and source are set. */
  stillMissing(row: JobWithDestinations, passphrase: string | null | undefined, sourceName: unknown): Array<"password" | "passphrase">;
}

/** The formats a source kind can produce (the first is its default). */
export function formatsOf(kind: SourceKind): readonly DumpFormat[] {
  return (SOURCE_SCHEMAS[kind] as SourceKindSchema).formats;
}

/**
 * Validates user input (any shape) against `existing` (the row it would replace, if any) and
 * the other entities seen through `ctx.lookup`. Does not check that the name is free. Returns
 * null when there were issues; every issue is reported, in the order of the job's keys.
 */
export function prepareJob(input: unknown, existing: JobWithDestinations | null, issues: Issues, ctx: JobRulesContext): JobDraft | null {
  if (!isPlainObject(input)) {
    issues.add("", "validation-job-type", { value: show(input) });
    return null;
  }
  const parsed = check(jobSchema, input);
  const found: Issue[] = parsed.ok ? [] : [...parsed.issues];
  const fields = (parsed.ok ? parsed.value : parsed.partial) as Partial<JobFields>;
  const ok = (key: string) => !found.some((i) => i.path === key || i.path.startsWith(`${key}.`) || i.path.startsWith(`${key}[`));
  const add = (path: string, key: string, params?: Record<string, string | { key: string; params?: Record<string, string> }>) => found.push(issue(path, key, params));

  // source and format
  let kind: SourceKind | null | undefined = null;
  if (ok("source") && typeof fields.source === "string") {
    kind = ctx.lookup.sourceKind(fields.source);
    if (kind === undefined) add("source", "validation-no-source", { name: fields.source });
  }
  let format = fields.format;
  if (format === undefined) format = kind ? formatsOf(kind)[0] : undefined;
  else if (ok("format") && kind && !formatsOf(kind).includes(format)) {
    add("format", "validation-format-kind", { value: show(format), kind, allowed: formatsOf(kind).join(" or ") });
  }

  // destinations: each once, each existing
  const destinations: string[] = [];
  if (ok("destinations") && Array.isArray(fields.destinations)) {
    fields.destinations.forEach((d, i) => {
      if (destinations.includes(d)) add(`destinations[${i}]`, "validation-listed-twice", { value: show(d) });
      else if (!ctx.lookup.hasDestination(d)) add(`destinations[${i}]`, "validation-no-destination", { name: d });
      else destinations.push(d);
    });
  }

  // ✅ must mean "restorable by this tool": every part has to come back through the configured API.
  const partSize = fields.part_size ?? DEFAULT_PART_SIZE;
  const problem = ok("part_size") ? ctx.partSizeProblem(partSize, destinations, ctx.lookup) : null;
  if (problem) add("part_size", partSizeProblemText(problem).key, partSizeProblemText(problem).params);

  // encryption: a masked passphrase keeps the stored one, if there is one
  const enc = fields.encryption;
  let passphrase: string | null | undefined = null;
  if (ok("encryption") && enc?.passphrase !== undefined) {
    if (enc.passphrase !== SECRET_MASK) passphrase = enc.passphrase;
    else if (existing?.passphraseEnc != null) passphrase = undefined;
    else add("encryption.passphrase", "validation-mask-nothing-stored", { key: "passphrase" });
  }

  // ping and webhook: a masked URL keeps the stored one, if there is one
  const keepable = (key: "ping" | "webhook", stored: string | null | undefined): string | null | undefined => {
    const given = fields[key];
    if (!ok(key) || given === undefined) return null;
    if (given !== SECRET_MASK) return given;
    if (stored != null) return undefined;
    add(key, "validation-mask-nothing-stored", { key });
    return null;
  };
  const ping = keepable("ping", existing?.pingEnc);
  const webhook = keepable("webhook", existing?.webhookEnc);
  // drill.identity: a masked identity keeps the stored one, if there is one
  let drillIdentity: string | null | undefined = null;
  const givenIdentity = fields.drill?.identity;
  if (ok("drill") && givenIdentity !== undefined) {
    if (givenIdentity !== SECRET_MASK) drillIdentity = givenIdentity;
    else if (existing?.drillIdentityEnc != null) drillIdentity = undefined;
    else add("drill.identity", "validation-mask-nothing-stored", { key: "identity" });
  }

  // A job adopted from a chat's catalog came without its secrets: it stays disabled until they are set.
  const enabled = fields.enabled ?? true;
  if (ok("enabled") && enabled && existing && existing.missingSecrets.length > 0) {
    for (const secret of ctx.stillMissing(existing, passphrase, fields.source)) {
      if (secret === "passphrase") add("enabled", "validation-adopted-passphrase", { job: existing.name });
      else add("enabled", "validation-adopted-password", { job: existing.name, source: String(fields.source) });
    }
  }

  if (found.length > 0) {
    const order = (i: Issue) => (i.key === "validation-unknown-key" ? -1 : JOB_KEYS.findIndex((k) => i.path === k || /^[.[]/.test(i.path.slice(k.length)) && i.path.startsWith(k)));
    issues.addAll(found.map((i, n) => [i, n] as const).sort((a, b) => order(a[0]) - order(b[0]) || a[1] - b[1]).map(([i]) => i));
    return null;
  }
  const f = fields as JobFields;
  return {
    name: f.name,
    source: f.source,
    destinations,
    schedule: f.schedule,
    timezone: f.timezone ?? null,
    // kind null (a source whose own entry is invalid) has already produced an issue elsewhere
    format: format ?? "sql",
    compression: f.compression ?? DEFAULT_COMPRESSION,
    recipients: enc?.recipients ?? [],
    passphrase,
    partSize,
    retention: f.retention ?? {},
    enabled,
    notify: f.notify ?? {},
    hooks: f.hooks ?? {},
    ping,
    webhook,
    drill: f.drill?.schedule ? { schedule: f.drill.schedule } : {},
    drillIdentity,
    anomaly: { ...(f.anomaly ?? {}) } as Record<string, number>,
  };
}
