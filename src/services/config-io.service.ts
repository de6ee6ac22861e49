import { lazyRequire } from "../lazy.js";

const yaml = () => lazyRequire("yaml") as typeof import("yaml");
import { redact } from "../crypto/redact.js";
import type { Db } from "../db/client.js";
import type { DestinationRow, SourceRow } from "../db/schema.js";
import type { DestinationConfig, DestinationKind } from "../destinations/port.js";
import type { JobWithDestinations } from "../repos/jobs.repo.js";
import * as v from "valibot";
import { scheduleProblem } from "../shared/cron-rules.js";
import { booleanSchema, check, isPlainObject, issue, optional, say, strictMapping } from "../shared/schema.js";
import type { TranslatableParam } from "../shared/translatable.js";
import type { SourceKind } from "../sources/port.js";
import { destinationShape, type DestinationDraft, type DestinationsService } from "./destinations.service.js";
import { ValidationError } from "./errors.js";
import { formatsOf } from "./job-rules.js";
import { JOB_KEYS } from "./job.schema.js";
import type { JobDraft, JobsService } from "./jobs.service.js";
import { sourceShape, type SourceDraft, type SourcesService } from "./sources.service.js";
import { formatSize, Issues, partSizeProblemText, SECRET_MASK } from "./validation.js";

export type Change = "created" | "updated" | "unchanged";

/** Names per outcome, in file order. */
export interface SectionSummary {
  created: string[];
  updated: string[];
  unchanged: string[];
}

export interface ImportSummary {
  sources: SectionSummary;
  destinations: SectionSummary;
  jobs: SectionSummary;
}

export interface ConfigIoDeps {
  db: Db;
  sources: SourcesService;
  destinations: DestinationsService;
  jobs: JobsService;
  /**
   * Called with the resolved config of every new or changed destination before anything is
   * written; a rejection becomes an issue at that destination's path (its message, with the
   * token redacted). The Telegram reachability check plugs in here.
   */
  checkDestination?: (config: DestinationConfig) => Promise<void>;
}

/** The configuration changed (bot, another import) while an import was being validated; nothing was written. */
export class ConcurrentChangeError extends Error {
  override name = "ConcurrentChangeError";
  constructor() {
    super("the configuration was changed by someone else during the import; nothing was written, run the import again");
  }
}

const section = optional(v.array(v.unknown(), say("validation-section-type")));
/** The file: three optional lists, each item checked by its service. */
const fileSchema = strictMapping({ sources: section, destinations: section, jobs: section }, { key: "validation-what-file" }, "validation-file-type");
type SectionKey = "sources" | "destinations" | "jobs";

interface Planned<D, R> {
  index: number;
  draft: D;
  existing: R | null;
  change: Change;
}

/**
 * `config import` / `config export`: every source, destination and job as YAML (the format
 * in DESIGN.md). Import validates the whole file against itself and the database, then
 * upserts by name in one transaction, or writes nothing. It never deletes what the file
 * does not mention.
 */
export class ConfigIoService {
  constructor(private readonly deps: ConfigIoDeps) {}

  /**
   * @param options.dryRun validate and report what would change, write nothing
   * @throws ValidationError with every issue (YAML syntax errors carry line and column)
   */
  async import(text: string, options: { dryRun?: boolean } = {}): Promise<ImportSummary> {
    const data = parseYaml(text);
    const issues = new Issues();
    if (!isPlainObject(data)) {
      issues.add("(root)", "validation-file-type");
      issues.throwIfAny();
    }
    const file = check(fileSchema, data);
    if (!file.ok) issues.addAll(file.issues);
    const root = (file.ok ? file.value : file.partial) as Partial<Record<SectionKey, unknown>>;
    const items = (key: SectionKey): unknown[] => (Array.isArray(root[key]) ? root[key] : []);
    const sourceItems = items("sources");
    const destinationItems = items("destinations");
    const jobItems = items("jobs");
    const { sources: sourcesSvc, destinations: destinationsSvc, jobs: jobsSvc } = this.deps;

    // sources
    const sourceKinds = new Map<string, SourceKind | null>();
    const plannedSources = this.plan<SourceDraft, SourceRow>("sources", sourceItems, issues, {
      rowByName: (n) => sourcesSvc.rowByName(n),
      prepare: (item, existing, at) => sourcesSvc.prepare(item, existing, at),
      isUnchanged: (d, r) => sourcesSvc.isUnchanged(d, r),
      onName: (name, item) =>
        sourceKinds.set(name, sourceShape.kinds.includes(item.kind as SourceKind) ? (item.kind as SourceKind) : null),
    });

    // destinations
    const destinationNames = new Set<string>();
    /** Kinds as this file declares them (the part-size rule needs them). */
    const destinationKinds = new Map<string, string | null>();
    const plannedDestinations = this.plan<DestinationDraft, DestinationRow>("destinations", destinationItems, issues, {
      rowByName: (n) => destinationsSvc.rowByName(n),
      prepare: (item, existing, at) => destinationsSvc.prepare(item, existing, at),
      isUnchanged: (d, r) => destinationsSvc.isUnchanged(d, r),
      onName: (name, item) => {
        destinationNames.add(name);
        destinationKinds.set(name, typeof item.kind === "string" ? item.kind : null);
      },
    });

    // jobs, whose references may point into this file or at the database
    const dbLookup = jobsSvc.dbLookup();
    const lookup = {
      sourceKind: (name: string) => (sourceKinds.has(name) ? sourceKinds.get(name) : dbLookup.sourceKind(name)),
      hasDestination: (name: string) => destinationNames.has(name) || dbLookup.hasDestination(name),
      destinationKind: (name: string) => (destinationKinds.has(name) ? destinationKinds.get(name) : dbLookup.destinationKind?.(name)),
    };
    const jobNames = new Set<string>();
    const plannedJobs = this.plan<JobDraft, JobWithDestinations>("jobs", jobItems, issues, {
      rowByName: (n) => jobsSvc.rowByName(n),
      prepare: (item, existing, at) => jobsSvc.prepare(frequentScheduleRule(item, existing, at), existing, at, lookup),
      isUnchanged: (d, r) => jobsSvc.isUnchanged(d, r),
      onName: (name) => jobNames.add(name),
    });

    // stored jobs this file does not mention must still fit a source whose kind it changes
    for (const p of plannedSources) {
      if (!p.existing || p.existing.kind === p.draft.kind) continue;
      const allowed = formatsOf(p.draft.kind);
      for (const job of jobsSvc.list()) {
        if (job.sourceId !== p.existing.id || jobNames.has(job.name) || allowed.includes(job.format)) continue;
        issues.add(`sources[${p.index}].kind`, "validation-kind-breaks-format", { job: job.name, format: job.format, kind: p.draft.kind });
      }
    }
    // ...and their part size must still come back from a destination whose kind it changes
    for (const p of plannedDestinations) {
      if (!p.existing || p.existing.kind === p.draft.kind) continue;
      for (const job of jobsSvc.list()) {
        if (!job.destinationIds.includes(p.existing.id) || jobNames.has(job.name)) continue;
        const problem = jobsSvc.partSizeProblem(job.part_size, job.destinations, lookup);
        if (problem) issues.add(`destinations[${p.index}].kind`, "validation-kind-breaks-part-size", { job: job.name, reason: partSizeProblemText(problem) });
      }
    }

    if (this.deps.checkDestination) {
      for (const p of plannedDestinations) {
        if (p.change === "unchanged") continue;
        const at = `destinations[${p.index}]`;
        let config: DestinationConfig;
        try {
          config = await destinationsSvc.resolveDraft(p.draft, p.existing);
        } catch (err) {
          issues.add(`${at}.bot_token`, "validation-reason", { reason: (err as Error).message });
          continue;
        }
        try {
          await this.deps.checkDestination(config);
        } catch (err) {
          const token = config.kind === "telegram" ? config.botToken : undefined;
          issues.add(at, "validation-reason", { reason: redact((err as Error).message, [token]) });
        }
      }
    }

    issues.throwIfAny();

    if (!options.dryRun) {
      this.deps.db.transaction(() => {
        // validation awaited the destination checks: refuse if someone changed a row meanwhile
        const current = (p: Planned<{ name: string }, { id: number; updatedAt: Date }>, row: { id: number; updatedAt: Date } | null) =>
          (row?.id ?? null) === (p.existing?.id ?? null) && row?.updatedAt.getTime() === p.existing?.updatedAt.getTime();
        const stale =
          plannedSources.some((p) => !current(p, sourcesSvc.rowByName(p.draft.name))) ||
          plannedDestinations.some((p) => !current(p, destinationsSvc.rowByName(p.draft.name))) ||
          plannedJobs.some((p) => !current(p, jobsSvc.rowByName(p.draft.name)));
        if (stale) throw new ConcurrentChangeError();
        for (const p of plannedSources) if (p.change !== "unchanged") sourcesSvc.write(p.draft, p.existing);
        for (const p of plannedDestinations) if (p.change !== "unchanged") destinationsSvc.write(p.draft, p.existing);
        for (const p of plannedJobs) if (p.change !== "unchanged") jobsSvc.write(p.draft, p.existing);
        // IMMEDIATE: it reads before it writes, and a deferred transaction doing that fails at once
        // ("database is locked", no busy wait) when another process (`run`) wrote in between.
      }, { behavior: "immediate" });
    }

    return {
      sources: summarize(plannedSources),
      destinations: summarize(plannedDestinations),
      jobs: summarize(plannedJobs),
    };
  }

  /**
   * Everything as YAML. Literal secrets are masked as `"***"` unless `withSecrets`;
   * `env:`/`file:` references are not secrets and are written as they are.
   *
   * Lossless by construction: each entity is written from its service's `toSpec` (the inverse
   * of `prepare`, which import runs), key by key in the order of the very lists `prepare`
   * accepts (each kind's schema keys, `JOB_KEYS`); a key `toSpec` gives that the
   * importer would not read stops the export (see `pickKeys`).
   */
  export(options: { withSecrets?: boolean } = {}): string {
    const secrets = options.withSecrets ? "reveal" : "mask";
    const { sources: sourcesSvc, destinations: destinationsSvc, jobs: jobsSvc } = this.deps;
    const sources = sourcesSvc
      .list()
      .map((view) => sourcesSvc.toSpec(sourcesSvc.rowByName(view.name)!, secrets) as unknown as Record<string, unknown>)
      .map((spec) => pickKeys(spec, sourceKeys(spec.kind as SourceKind), `source "${String(spec.name)}"`));
    const destinations = destinationsSvc
      .list()
      .map((view) => destinationsSvc.toSpec(destinationsSvc.rowByName(view.name)!, secrets) as unknown as Record<string, unknown>)
      .map((spec) => pickKeys(spec, destinationKeys(spec.kind as DestinationKind), `destination "${String(spec.name)}"`));
    const jobs = jobsSvc
      .list()
      .map((view) => jobsSvc.toSpec(jobsSvc.rowByName(view.name)!, secrets) as unknown as Record<string, unknown>)
      .map((spec) => pickKeys({ ...spec, part_size: formatSize(spec.part_size as number) }, JOB_KEYS, `job "${String(spec.name)}"`))
      .map(withAllowFrequent);
    const { Document, isCollection, isScalar } = yaml();
    const doc = new Document({ sources, destinations, jobs });
    jobs.forEach((_, i) => {
      const flow = [["destinations"], ["retention"], ["encryption", "recipients"], ["notify", "success"], ["notify", "failure"]];
      for (const path of flow) {
        const node = doc.getIn(["jobs", i, ...path], true);
        if (isCollection(node)) node.flow = true;
      }
      // cron expressions read better quoted, as in the documentation
      const schedule = doc.getIn(["jobs", i, "schedule"], true);
      if (isScalar(schedule)) schedule.type = "QUOTE_DOUBLE";
    });
    const masked = options.withSecrets ? "" : `\nSecrets are shown as "${SECRET_MASK}"; importing this file keeps the stored values.`;
    doc.commentBefore = ` Tele-Backup configuration (tele-backup config export / config import).${masked}`
      .split("\n")
      .join("\n ");
    return doc.toString({ lineWidth: 0 });
  }

  /** Validates one section's items, reporting duplicate names; returns what it would write. */
  private plan<D extends { name: string }, R>(
    key: SectionKey,
    items: unknown[],
    issues: Issues,
    ops: {
      rowByName(name: string): R | null;
      prepare(item: unknown, existing: R | null, at: Issues): D | null;
      isUnchanged(draft: D, row: R): boolean;
      onName(name: string, item: Record<string, unknown>): void;
    },
  ): Planned<D, R>[] {
    const firstIndex = new Map<string, number>();
    const planned: Planned<D, R>[] = [];
    items.forEach((item, index) => {
      const at = issues.at(`${key}[${index}]`);
      const name = isPlainObject(item) && typeof item.name === "string" ? item.name : undefined;
      if (name !== undefined) {
        const first = firstIndex.get(name);
        if (first !== undefined) at.add("name", "validation-defined-twice", { name, at: `${key}[${first}]` });
        else {
          firstIndex.set(name, index);
          ops.onName(name, item as Record<string, unknown>);
        }
      }
      const existing = name !== undefined ? ops.rowByName(name) : null;
      const draft = ops.prepare(item, existing, at);
      if (!draft || (name !== undefined && firstIndex.get(name) !== index)) return;
      const change: Change = !existing ? "created" : ops.isUnchanged(draft, existing) ? "unchanged" : "updated";
      planned.push({ index, draft, existing, change });
    });
    return planned;
  }
}

/** The schedule problems a job may keep with `allow_frequent: true`, as the import's issue keys. */
const FREQUENT: Record<string, string> = { "cron-error-seconds": "validation-schedule-seconds", "cron-error-too-often": "validation-schedule-too-often" };

/** Why a job's schedule needs `allow_frequent: true` (a validation issue key and its parameters), or undefined. */
function frequentProblem(schedule: unknown): { key: string; params: Record<string, TranslatableParam> } | undefined {
  if (typeof schedule !== "string") return undefined;
  // The shortest gap does not depend on the zone; the job's zone is checked by its schema.
  const problem = scheduleProblem(schedule, "UTC");
  const key = problem ? FREQUENT[problem.key] : undefined;
  return key ? { key, params: problem!.params ?? {} } : undefined;
}

/**
 * The bot's schedule rules (src/shared/cron-rules.ts) for imported jobs: a seconds field or runs
 * under 5 minutes apart are refused with the bot's reason unless the job says
 * `allow_frequent: true`, a confirmation read here and not stored (export writes it back for
 * such schedules). A stored job's schedule imported unchanged passes: files exported before
 * this rule still import. Returns the item without the key, for the job's own schema.
 */
function frequentScheduleRule(item: unknown, existing: JobWithDestinations | null, at: Issues): unknown {
  if (!isPlainObject(item)) return item;
  const { allow_frequent: allow, ...job } = item;
  if (allow !== undefined && allow !== null) {
    const flag = check(booleanSchema, allow);
    if (!flag.ok) at.at("allow_frequent").addAll(flag.issues);
    if (allow === true) return job;
  }
  const problem = frequentProblem(job.schedule);
  const unchanged = existing !== null && typeof job.schedule === "string" && job.schedule.trim().replace(/\s+/g, " ") === existing.schedule;
  if (problem && !unchanged) at.add("schedule", problem.key, problem.params);
  return job;
}

/** `allow_frequent: true` right after a schedule that needs it, so that the exported file imports. */
function withAllowFrequent(spec: Record<string, unknown>): Record<string, unknown> {
  if (!frequentProblem(spec.schedule)) return spec;
  const out: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(spec)) {
    out[k] = value;
    if (k === "schedule") out.allow_frequent = true;
  }
  return out;
}

function summarize(planned: Planned<{ name: string }, unknown>[]): SectionSummary {
  const out: SectionSummary = { created: [], updated: [], unchanged: [] };
  for (const p of planned) out[p.change].push(p.draft.name);
  return out;
}

/** The keys `prepare` reads for a source of this kind, in export order. */
export function sourceKeys(kind: SourceKind): readonly string[] {
  return ["name", "kind", ...sourceShape.keysOf(kind)];
}

/** The keys `prepare` reads for a destination of this kind, in export order. */
export function destinationKeys(kind: DestinationKind): readonly string[] {
  return ["name", "kind", ...destinationShape.keysOf(kind)];
}

/**
 * The spec's values in the order of `keys` (the keys import reads), leaving out absent ones.
 * A key outside `keys` means export and import have drifted apart: refuse rather than write a
 * file that import would reject or, worse, silently half-read.
 */
export function pickKeys(spec: Record<string, unknown>, keys: readonly string[], what: string): Record<string, unknown> {
  const unknown = Object.keys(spec).filter((k) => spec[k] !== undefined && !keys.includes(k));
  if (unknown.length > 0) throw new Error(`config export: ${what} has ${unknown.join(", ")}, which config import does not read`);
  const out: Record<string, unknown> = {};
  for (const k of keys) if (spec[k] !== undefined) out[k] = spec[k];
  return out;
}

/** Parses YAML; syntax errors become issues located by line and column. */
function parseYaml(text: string): unknown {
  const doc = yaml().parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      const message = (e.message.split("\n")[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, "");
      return issue(pos ? `line ${pos.line}, column ${pos.col}` : "yaml", "validation-yaml", { reason: message });
    });
    throw new ValidationError(issues);
  }
  return doc.toJS({ maxAliasCount: 1000 }) ?? {};
}
