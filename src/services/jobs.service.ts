import type { SecretBox } from "../crypto/secret-box.js";
import { SecretRefError } from "../crypto/secret-ref.js";
import type { Compression, JobHooks, NotifyRoutes, ResolvedJob, Retention } from "../domain.js";
import type { DestinationsRepo } from "../repos/destinations.repo.js";
import type { JobsRepo, JobWithDestinations } from "../repos/jobs.repo.js";
import type { SourcesRepo } from "../repos/sources.repo.js";
import type { DumpFormat } from "../sources/port.js";
import type { DestinationsService } from "./destinations.service.js";
import { NotFoundError } from "./errors.js";
import { formatsOf, prepareJob, type JobDraft, type JobLookup } from "./job-rules.js";
import type { JobEncryptionSpec, JobSpec } from "./job.schema.js";
import { jobSpecOf, type SecretsShown } from "./job-spec.js";
import { resolveJob, resolvePassphrase } from "./job-resolve.js";
import type { SourcesService } from "./sources.service.js";
import { findByRef, Issues, partSizeProblem, sameJson, type PartSizeProblem } from "./validation.js";

export type { JobEncryptionSpec, JobSpec } from "./job.schema.js";
export type { JobDraft, JobLookup } from "./job-rules.js";

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
  hooks: JobHooks;
  /** Whether a ping URL / a webhook is set (the URLs are secrets: see `toSpec`). */
  ping: boolean;
  webhook: boolean;
}

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
    if (draft && this.deps.repo.findByName(draft.name)) issues.add("name", "validation-name-taken-job", { name: draft.name });
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
      if (kind && !formatsOf(kind).includes(row.format)) delete base.format;
    }
    const merged: Record<string, unknown> = { ...base, ...defined };
    const issues = new Issues();
    const draft = this.prepare(merged, row, issues, this.dbLookup());
    if (draft && draft.name !== row.name && this.deps.repo.findByName(draft.name)) {
      issues.add("name", "validation-name-taken-job", { name: draft.name });
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
    return resolveJob(this.requireRow(ref), this.deps);
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
      return await resolvePassphrase(row.passphraseEnc, this.deps);
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
      return await resolvePassphrase(run.passphraseEnc, this.deps);
    } catch (err) {
      if (err instanceof SecretRefError) throw new SecretRefError(`run ${run.id}: ${err.message}`, { cause: err });
      throw err;
    }
  }

  /**
   * Validates user input (any shape) against `existing` (the row it would replace, if any) and
   * the other entities seen through `lookup` (job-rules.ts). Does not check that the name is
   * free. Returns null when there were issues.
   */
  prepare(input: unknown, existing: JobWithDestinations | null, issues: Issues, lookup: JobLookup): JobDraft | null {
    return prepareJob(input, existing, issues, {
      lookup,
      partSizeProblem: (size, destinations, l) => this.partSizeProblem(size, destinations, l),
      stillMissing: (row, passphrase, source) => this.stillMissing(row, passphrase, source),
    });
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
      sameJson(draft.hooks, row.hooks) &&
      (draft.ping === undefined || draft.ping === this.deps.box.decryptOptional(row.pingEnc)) &&
      (draft.webhook === undefined || draft.webhook === this.deps.box.decryptOptional(row.webhookEnc)) &&
      sameJson(draft.drill, row.drill) &&
      sameJson(draft.anomaly, row.anomaly) &&
      (draft.drillIdentity === undefined || draft.drillIdentity === this.deps.box.decryptOptional(row.drillIdentityEnc)) &&
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
      hooks: draft.hooks,
      ...(draft.passphrase === undefined ? {} : { passphraseEnc: this.deps.box.encryptOptional(draft.passphrase) }),
      ...(draft.ping === undefined ? {} : { pingEnc: this.deps.box.encryptOptional(draft.ping) }),
      ...(draft.webhook === undefined ? {} : { webhookEnc: this.deps.box.encryptOptional(draft.webhook) }),
      drill: draft.drill,
      anomaly: draft.anomaly,
      ...(draft.drillIdentity === undefined ? {} : { drillIdentityEnc: this.deps.box.encryptOptional(draft.drillIdentity) }),
    };
    if (!existing) return this.deps.repo.insert({ passphraseEnc: null, ...values }, destinationIds);
    const missingSecrets = existing.missingSecrets.length > 0 ? this.stillMissing(existing, draft.passphrase, draft.source) : undefined;
    const row = this.deps.repo.update(existing.id, missingSecrets ? { ...values, missingSecrets } : values, destinationIds);
    if (!row) throw new NotFoundError("job", existing.name);
    return row;
  }

  /**
   * The spec of a stored job with every default written out (part_size in bytes), key by key
   * from the job's schema (job-spec.ts). Secrets: see `SecretsShown`.
   */
  toSpec(row: JobWithDestinations, secrets: SecretsShown, names = this.nameMaps()): JobSpec & { part_size: number } {
    return jobSpecOf(row, secrets, names, (enc) => this.deps.box.decrypt(enc));
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
      hooks: structuredClone(row.hooks),
      ping: row.pingEnc != null,
      webhook: row.webhookEnc != null,
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
