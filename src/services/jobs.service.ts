import type { SecretBox } from "../crypto/secret-box.js";
import { isSecretRef, resolveSecret, SecretRefError } from "../crypto/secret-ref.js";
import { DEFAULT_PART_SIZE, type Compression, type Encryption, type NotifyRoutes, type ResolvedJob, type Retention } from "../domain.js";
import type { DestinationsRepo } from "../repos/destinations.repo.js";
import type { JobsRepo, JobWithDestinations } from "../repos/jobs.repo.js";
import type { SourcesRepo } from "../repos/sources.repo.js";
import type { DumpFormat, SourceKind } from "../sources/port.js";
import type { DestinationsService } from "./destinations.service.js";
import { NotFoundError } from "./errors.js";
import type { SourcesService } from "./sources.service.js";
import {
  findByRef,
  checkAgeRecipient,
  checkBoolean,
  checkCron,
  checkKnownKeys,
  checkName,
  checkOneOf,
  checkSecret,
  checkTimezone,
  COMPRESSIONS,
  DEFAULT_COMPRESSION,
  FORMATS_BY_KIND,
  isPlainObject,
  Issues,
  parsePartSize,
  parseRetention,
  sameJson,
  SECRET_MASK,
  show,
  parseNotifyRoutes,
  partSizeProblem,
  partSizeProblemText,
  type PartSizeProblem,
} from "./validation.js";

export type JobEncryptionSpec = { recipients: string[] } | { passphrase: string };

/**
 * A job as users write it (the YAML keys). `source` and `destinations` are names.
 * Omitted: `timezone` → the TZ default, `format` → the source kind's default,
 * `compression` → gzip, `part_size` → DEFAULT_PART_SIZE, `retention` → keep everything,
 * `enabled` → true, `encryption` → none. `passphrase: "***"` keeps the stored one.
 */
export interface JobSpec {
  name: string;
  source: string;
  destinations: string[];
  schedule: string;
  timezone?: string | null;
  format?: DumpFormat;
  compression?: Compression;
  encryption?: JobEncryptionSpec | null;
  /** Bytes, or a size such as "19MiB" / "50MB". */
  part_size?: number | string;
  retention?: Retention;
  enabled?: boolean;
  /** Where success/failure messages go instead of the destination chats. */
  notify?: NotifyRoutes;
}

/** A stored job with every default filled in; a literal passphrase is masked unless asked for. */
export interface JobView {
  id: number;
  name: string;
  source: string;
  sourceId: number;
  destinations: string[];
  destinationIds: number[];
  schedule: string;
  timezone: string | null;
  format: DumpFormat;
  compression: Compression;
  encryption: JobEncryptionSpec | null;
  /** Bytes. */
  part_size: number;
  retention: Retention;
  enabled: boolean;
  notify: NotifyRoutes;
}

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

export const JOB_KEYS = [
  "name",
  "source",
  "destinations",
  "schedule",
  "timezone",
  "format",
  "compression",
  "encryption",
  "part_size",
  "retention",
  "enabled",
  "notify",
] as const;

export interface JobsServiceDeps {
  repo: JobsRepo;
  sources: SourcesRepo;
  destinations: DestinationsRepo;
  /** The application's one SourcesService and DestinationsService: a job's references resolve exactly as their own. */
  sourcesService: Pick<SourcesService, "resolve">;
  destinationsService: Pick<DestinationsService, "resolve">;
  box: SecretBox;
  /** Where `env:` references are looked up; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** TELEGRAM_SELF_HOSTED: whether Telegram parts above the cloud's 20 MB download limit can be read back. Default false (the cloud). */
  telegramSelfHosted?: boolean;
}

export class JobsService {
  constructor(private readonly deps: JobsServiceDeps) {}

  list(options: { withSecrets?: boolean } = {}): JobView[] {
    const names = this.nameMaps();
    return this.deps.repo.list().map((row) => this.toView(row, options.withSecrets ? "reveal" : "mask", names));
  }

  /** @throws NotFoundError */
  get(ref: string | number, options: { withSecrets?: boolean } = {}): JobView {
    return this.toView(this.requireRow(ref), options.withSecrets ? "reveal" : "mask");
  }

  getByName(name: string, options: { withSecrets?: boolean } = {}): JobView | null {
    const row = this.deps.repo.findByName(name);
    return row ? this.toView(row, options.withSecrets ? "reveal" : "mask") : null;
  }

  /** The row with exactly this name (no id fallback), as the importer's upsert needs. */
  rowByName(name: string): JobWithDestinations | null {
    return this.deps.repo.findByName(name);
  }

  /** The row for a name, or for a numeric id (a number, or digits when no job has that name). */
  findRow(ref: string | number): JobWithDestinations | null {
    return findByRef(this.deps.repo, ref);
  }

  /** Looks other entities up in the database. */
  dbLookup(): JobLookup {
    return {
      sourceKind: (name) => this.deps.sources.findByName(name)?.kind,
      hasDestination: (name) => this.deps.destinations.findByName(name) !== null,
      destinationKind: (name) => this.deps.destinations.findByName(name)?.kind,
    };
  }

  /**
   * Whether parts of `partSize` bytes can be read back from every one of these destinations
   * (by name) through the configured Bot API; null when they can. The same rule `prepare`
   * applies, for callers that ask before saving (the bot's part-size step).
   */
  partSizeProblem(partSize: number, destinations: readonly string[], lookup: JobLookup = this.dbLookup()): PartSizeProblem | null {
    const kindOf = lookup.destinationKind ?? ((name: string) => this.deps.destinations.findByName(name)?.kind);
    return partSizeProblem(partSize, destinations.map((name) => ({ name, kind: kindOf(name) })), this.deps.telegramSelfHosted ?? false);
  }

  /** @throws ValidationError listing every problem */
  create(spec: JobSpec): JobView {
    const issues = new Issues();
    const draft = this.prepare(spec, null, issues, this.dbLookup());
    if (draft && this.deps.repo.findByName(draft.name)) issues.add("name", `a job named "${draft.name}" already exists`);
    issues.throwIfAny();
    return this.toView(this.write(draft!, null), "mask");
  }

  /**
   * Changes some settings; omitted keys keep their value (the passphrase included).
   * `encryption` is replaced as a whole; `encryption: null` and `timezone: null` remove them.
   * @throws NotFoundError, ValidationError
   */
  update(ref: string | number, patch: Partial<JobSpec>): JobView {
    const row = this.requireRow(ref);
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const base: Record<string, unknown> = { ...this.toSpec(row, "keep") };
    // A new source of another kind gets its default format unless the old one still fits.
    if (patch.source !== undefined && patch.format === undefined) {
      const kind = this.deps.sources.findByName(patch.source)?.kind;
      if (kind && !FORMATS_BY_KIND[kind].includes(row.format)) delete base.format;
    }
    const merged: Record<string, unknown> = { ...base, ...defined };
    const issues = new Issues();
    const draft = this.prepare(merged, row, issues, this.dbLookup());
    if (draft && draft.name !== row.name && this.deps.repo.findByName(draft.name)) {
      issues.add("name", `a job named "${draft.name}" already exists`);
    }
    issues.throwIfAny();
    return this.toView(this.write(draft!, row), "mask");
  }

  /** Deletes the job; its run history stays (runs keep the job's name). @throws NotFoundError */
  delete(ref: string | number): void {
    const row = this.requireRow(ref);
    this.deps.repo.delete(row.id);
  }

  /**
   * Everything the engine needs to run the job, with every secret decrypted and every
   * `env:`/`file:` reference resolved.
   * @throws NotFoundError (`job "x" not found`), SecretRefError naming the job and the reference
   */
  async resolve(ref: string | number): Promise<ResolvedJob> {
    const row = this.requireRow(ref);
    try {
      const source = await this.deps.sourcesService.resolve(row.sourceId);
      const destinations: ResolvedJob["destinations"] = [];
      for (const id of row.destinationIds) {
        const d = await this.deps.destinationsService.resolve(id);
        destinations.push({ id: d.id, config: d.config });
      }
      let encryption: Encryption = { kind: "none" };
      if (row.recipients.length > 0) encryption = { kind: "recipients", recipients: [...row.recipients] };
      else if (row.passphraseEnc != null) encryption = { kind: "passphrase", passphrase: await this.resolvePassphrase(row.passphraseEnc) };
      return {
        id: row.id,
        name: row.name,
        source,
        destinations,
        schedule: row.schedule,
        timezone: row.timezone,
        format: row.format,
        compression: row.compression,
        encryption,
        partSize: row.partSize,
        retention: { ...row.retention },
        enabled: row.enabled,
        notify: { ...row.notify },
        ...(encryption.kind === "passphrase" ? { passphraseEnc: row.passphraseEnc } : {}),
      };
    } catch (err) {
      if (err instanceof SecretRefError) throw new SecretRefError(`job "${row.name}": ${err.message}`, { cause: err });
      throw err;
    }
  }

  /**
   * The job's age passphrase, decrypted and resolved (for restoring its runs); undefined when
   * the job does not encrypt with a passphrase.
   * @throws NotFoundError, SecretRefError naming the job and the reference
   */
  async passphraseFor(ref: string | number): Promise<string | undefined> {
    const row = this.requireRow(ref);
    if (row.passphraseEnc == null) return undefined;
    try {
      return await this.resolvePassphrase(row.passphraseEnc);
    } catch (err) {
      if (err instanceof SecretRefError) throw new SecretRefError(`job "${row.name}": ${err.message}`, { cause: err });
      throw err;
    }
  }

  /**
   * The passphrase a run was encrypted with: the copy kept with the run (see `runs.passphrase_enc`),
   * or for runs made before runs kept one, their job's current passphrase. Undefined when there
   * is neither.
   * @throws SecretRefError naming the run and the reference (never a value)
   */
  async passphraseForRun(run: { id: number; jobId: number | null; passphraseEnc: string | null }): Promise<string | undefined> {
    if (run.passphraseEnc == null) return run.jobId != null && this.findRow(run.jobId) ? this.passphraseFor(run.jobId) : undefined;
    try {
      return await this.resolvePassphrase(run.passphraseEnc);
    } catch (err) {
      if (err instanceof SecretRefError) throw new SecretRefError(`run ${run.id}: ${err.message}`, { cause: err });
      throw err;
    }
  }

  private async resolvePassphrase(passphraseEnc: string): Promise<string> {
    try {
      return await resolveSecret(this.deps.box.decrypt(passphraseEnc), this.deps.env ?? process.env);
    } catch (err) {
      throw new SecretRefError(`encryption passphrase: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Validates user input (any shape) against `existing` (the row it would replace, if any) and
   * the other entities seen through `lookup`. Does not check that the name is free.
   * Returns null when there were issues.
   */
  prepare(input: unknown, existing: JobWithDestinations | null, issues: Issues, lookup: JobLookup): JobDraft | null {
    const before = issues.items.length;
    if (!isPlainObject(input)) {
      issues.add("", "must be a mapping with name, source, destinations and schedule");
      return null;
    }
    checkKnownKeys(input, JOB_KEYS, issues, "a job");
    const nameErr = checkName(input.name);
    if (nameErr) issues.add("name", nameErr);

    // source and format
    let kind: SourceKind | null | undefined = null;
    const sourceErr = checkName(input.source);
    if (sourceErr) issues.add("source", sourceErr === "is required" ? "is required (the name of a source)" : sourceErr);
    else {
      kind = lookup.sourceKind(input.source as string);
      if (kind === undefined) issues.add("source", `no source named "${input.source as string}"`);
    }
    let format: DumpFormat | undefined;
    if (input.format === undefined || input.format === null) {
      if (kind) format = FORMATS_BY_KIND[kind][0];
    } else if (checkOneOf(input.format, ["sql", "custom", "tar"])) {
      issues.add("format", `must be one of sql, custom, tar, got ${show(input.format)}`);
    } else if (kind && !FORMATS_BY_KIND[kind].includes(input.format as DumpFormat)) {
      issues.add("format", `${show(input.format)} is not available for ${kind} sources (use ${FORMATS_BY_KIND[kind].join(" or ")})`);
    } else format = input.format as DumpFormat;

    // destinations
    const destinations: string[] = [];
    if (!Array.isArray(input.destinations) || input.destinations.length === 0) {
      issues.add("destinations", "must be a non-empty list of destination names, e.g. [main-channel]");
    } else {
      input.destinations.forEach((d, i) => {
        const err = checkName(d);
        if (err) issues.add(`destinations[${i}]`, err);
        else if (destinations.includes(d as string)) issues.add(`destinations[${i}]`, `"${d as string}" is listed twice`);
        else if (!lookup.hasDestination(d as string)) issues.add(`destinations[${i}]`, `no destination named "${d as string}"`);
        else destinations.push(d as string);
      });
    }

    // schedule
    let timezone: string | null = null;
    let tzValid = true;
    if (input.timezone !== undefined && input.timezone !== null) {
      const err = checkTimezone(input.timezone);
      if (err) {
        issues.add("timezone", err);
        tzValid = false;
      } else timezone = input.timezone as string;
    }
    const cronErr = checkCron(input.schedule, tzValid && timezone ? timezone : undefined);
    if (cronErr) issues.add("schedule", cronErr);

    let compression: Compression = DEFAULT_COMPRESSION;
    if (input.compression !== undefined && input.compression !== null) {
      const err = checkOneOf(input.compression, COMPRESSIONS);
      if (err) issues.add("compression", err);
      else compression = input.compression as Compression;
    }

    // encryption: exactly one of recipients / passphrase
    const recipients: string[] = [];
    let passphrase: string | null | undefined = null;
    const enc = input.encryption;
    if (enc !== undefined && enc !== null) {
      const at = issues.at("encryption");
      if (!isPlainObject(enc)) at.add("", "must be { recipients: [age1…] } or { passphrase: … }");
      else {
        checkKnownKeys(enc, ["recipients", "passphrase"], at, "encryption");
        const hasR = enc.recipients !== undefined && enc.recipients !== null;
        const hasP = enc.passphrase !== undefined && enc.passphrase !== null;
        if (hasR === hasP) at.add("", "give exactly one of recipients or passphrase");
        else if (hasR) {
          if (!Array.isArray(enc.recipients) || enc.recipients.length === 0) {
            at.add("recipients", "must be a non-empty list of age public keys (age1…)");
          } else {
            enc.recipients.forEach((r, i) => {
              const err = checkAgeRecipient(r);
              if (err) at.add(`recipients[${i}]`, err);
              else if (recipients.includes(r as string)) at.add(`recipients[${i}]`, "is listed twice");
              else recipients.push(r as string);
            });
          }
        } else if (enc.passphrase === SECRET_MASK) {
          if (existing?.passphraseEnc != null) passphrase = undefined;
          else at.add("passphrase", `"${SECRET_MASK}" is the export mask and there is no stored passphrase to keep; give the passphrase or an env:/file: reference`);
        } else {
          const err = checkSecret(enc.passphrase);
          if (err) at.add("passphrase", err);
          else passphrase = enc.passphrase as string;
        }
      }
    }

    let partSize = DEFAULT_PART_SIZE;
    let partSizeParsed = true;
    if (input.part_size !== undefined && input.part_size !== null) {
      const parsed = parsePartSize(input.part_size);
      if ("error" in parsed) {
        issues.add("part_size", parsed.error);
        partSizeParsed = false;
      } else partSize = parsed.value;
    }
    // ✅ must mean "restorable by this tool": every part has to come back through the configured API.
    const problem = partSizeParsed ? this.partSizeProblem(partSize, destinations, lookup) : null;
    if (problem) issues.add("part_size", partSizeProblemText(problem));

    const retention = parseRetention(input.retention, issues.at("retention"));

    let enabled = true;
    if (input.enabled !== undefined && input.enabled !== null) {
      const err = checkBoolean(input.enabled);
      if (err) issues.add("enabled", err);
      else enabled = input.enabled as boolean;
    }

    const notify = parseNotifyRoutes(input.notify, issues.at("notify"));

    // A job adopted from a chat's catalog came without its secrets: it stays disabled until they are set.
    if (enabled && existing && existing.missingSecrets.length > 0) {
      for (const secret of this.stillMissing(existing, passphrase, input.source)) {
        issues.add("enabled", secret === "passphrase"
          ? `job "${existing.name}" was adopted without its passphrase: set encryption: { passphrase: … } before enabling it`
          : `source "${String(input.source)}" was adopted without its password: set its password before enabling job "${existing.name}"`);
      }
    }

    if (issues.items.length > before) return null;
    return {
      notify,
      name: input.name as string,
      source: input.source as string,
      destinations,
      schedule: (input.schedule as string).trim().replace(/\s+/g, " "),
      timezone,
      // kind null (a source whose own entry is invalid) has already produced an issue elsewhere
      format: format ?? "sql",
      compression,
      recipients,
      passphrase,
      partSize,
      retention,
      enabled,
    };
  }

  /**
   * Secrets an adopted job still lacks (see `jobs.missing_secrets`): its passphrase unless one is
   * stored or given (`passphrase`: the draft's, undefined = keep), its source's password unless
   * the source `sourceName` now has one.
   */
  private stillMissing(row: JobWithDestinations, passphrase: string | null | undefined, sourceName: unknown): Array<"password" | "passphrase"> {
    return row.missingSecrets.filter((secret) => {
      if (secret === "passphrase") return !(typeof passphrase === "string" && passphrase !== "") && !(passphrase === undefined && row.passphraseEnc != null);
      const source = typeof sourceName === "string" ? this.deps.sources.findByName(sourceName) : null;
      return source?.passwordEnc == null;
    });
  }

  /** True when writing `draft` over `row` would change nothing. */
  isUnchanged(draft: JobDraft, row: JobWithDestinations): boolean {
    const sourceName = this.deps.sources.findById(row.sourceId)?.name;
    const destinationNames = row.destinationIds.map((id) => this.deps.destinations.findById(id)?.name);
    const same =
      draft.name === row.name &&
      draft.source === sourceName &&
      sameJson(draft.destinations, destinationNames) &&
      draft.schedule === row.schedule &&
      draft.timezone === row.timezone &&
      draft.format === row.format &&
      draft.compression === row.compression &&
      sameJson(draft.recipients, row.recipients) &&
      draft.partSize === row.partSize &&
      sameJson(draft.retention, row.retention) &&
      sameJson(draft.notify, row.notify) &&
      draft.enabled === row.enabled;
    if (!same) return false;
    if (draft.passphrase === undefined) return true;
    return draft.passphrase === this.deps.box.decryptOptional(row.passphraseEnc);
  }

  /**
   * Inserts (existing = null) or replaces a validated draft, looking its references up by
   * name (so a source written earlier in the same transaction is found). Secrets are stored
   * only encrypted.
   */
  write(draft: JobDraft, existing: JobWithDestinations | null): JobWithDestinations {
    const source = this.deps.sources.findByName(draft.source);
    if (!source) throw new NotFoundError("source", draft.source);
    const destinationIds = draft.destinations.map((name) => {
      const d = this.deps.destinations.findByName(name);
      if (!d) throw new NotFoundError("destination", name);
      return d.id;
    });
    const values = {
      name: draft.name,
      sourceId: source.id,
      schedule: draft.schedule,
      timezone: draft.timezone,
      format: draft.format,
      compression: draft.compression,
      recipients: draft.recipients,
      partSize: draft.partSize,
      retention: draft.retention as Record<string, number>,
      enabled: draft.enabled,
      notify: draft.notify,
      ...(draft.passphrase === undefined ? {} : { passphraseEnc: this.deps.box.encryptOptional(draft.passphrase) }),
    };
    if (!existing) return this.deps.repo.insert({ passphraseEnc: null, ...values }, destinationIds);
    const missingSecrets = existing.missingSecrets.length > 0 ? this.stillMissing(existing, draft.passphrase, draft.source) : undefined;
    const row = this.deps.repo.update(existing.id, missingSecrets ? { ...values, missingSecrets } : values, destinationIds);
    if (!row) throw new NotFoundError("job", existing.name);
    return row;
  }

  /**
   * The spec of a stored job with every default written out (part_size in bytes).
   * Passphrases: `"reveal"` shows them, `"mask"` shows literal ones as `"***"` (references
   * are not secrets), `"keep"` gives `"***"` for any stored passphrase.
   */
  toSpec(row: JobWithDestinations, secrets: "reveal" | "mask" | "keep", names = this.nameMaps()): JobSpec & { part_size: number } {
    const spec: JobSpec & { part_size: number } = {
      name: row.name,
      source: names.sources.get(row.sourceId) ?? String(row.sourceId),
      destinations: row.destinationIds.map((id) => names.destinations.get(id) ?? String(id)),
      schedule: row.schedule,
    } as JobSpec & { part_size: number };
    if (row.timezone != null) spec.timezone = row.timezone;
    spec.format = row.format;
    spec.compression = row.compression;
    if (row.recipients.length > 0) spec.encryption = { recipients: [...row.recipients] };
    else if (row.passphraseEnc != null) {
      let passphrase = SECRET_MASK;
      if (secrets !== "keep") {
        const plain = this.deps.box.decrypt(row.passphraseEnc);
        if (secrets === "reveal" || isSecretRef(plain)) passphrase = plain;
      }
      spec.encryption = { passphrase };
    }
    spec.part_size = row.partSize;
    spec.retention = { ...row.retention };
    spec.enabled = row.enabled;
    if (row.notify.success || row.notify.failure) spec.notify = { ...row.notify };
    return spec;
  }

  private toView(row: JobWithDestinations, secrets: "reveal" | "mask", names = this.nameMaps()): JobView {
    const spec = this.toSpec(row, secrets, names);
    return {
      id: row.id,
      name: spec.name,
      source: spec.source,
      sourceId: row.sourceId,
      destinations: spec.destinations,
      destinationIds: [...row.destinationIds],
      schedule: spec.schedule,
      timezone: row.timezone,
      format: row.format,
      compression: row.compression,
      encryption: spec.encryption ?? null,
      part_size: row.partSize,
      retention: spec.retention ?? {},
      enabled: row.enabled,
      notify: { ...row.notify },
    };
  }

  private nameMaps(): { sources: Map<number, string>; destinations: Map<number, string> } {
    return {
      sources: new Map(this.deps.sources.list().map((s) => [s.id, s.name])),
      destinations: new Map(this.deps.destinations.list().map((d) => [d.id, d.name])),
    };
  }

  private requireRow(ref: string | number): JobWithDestinations {
    const row = this.findRow(ref);
    if (!row) throw new NotFoundError("job", ref);
    return row;
  }
}
