import type { Db } from "../db/client.js";
import type { CatalogChat } from "../destinations/telegram-catalog.js";
import type { DestinationsRepo } from "../repos/destinations.repo.js";
import type { JobsRepo } from "../repos/jobs.repo.js";
import type { RunsRepo } from "../repos/runs.repo.js";
import type { SourcesRepo } from "../repos/sources.repo.js";
import { isComplete, readPinnedCatalog, type Catalog, type CatalogJob, type CatalogRun } from "./catalog.js";

/** What `adopt` found in a chat's catalog, and what importing it would do. */
export interface AdoptPlan {
  catalog: Catalog;
  /** The catalog's jobs; `exists`: a job of that name is here already (it is kept as it is). */
  jobs: Array<{ job: CatalogJob; exists: boolean; missing: Array<"password" | "passphrase"> }>;
  /** The catalog's runs, oldest first; `imported`: already in this index (adopted before). */
  runs: Array<{ run: CatalogRun; complete: boolean; imported: boolean }>;
}

export interface AdoptResult {
  destination: string;
  jobsCreated: string[];
  sourcesCreated: string[];
  /** Local run ids of the runs imported now. */
  runsImported: number[];
  /** Each imported run: its id in the catalog, its id here. */
  idsHere: Array<{ from: number; id: number; job: string }>;
  runsSkipped: number;
}

export interface AdoptDeps {
  db: Db;
  runs: RunsRepo;
  jobs: JobsRepo;
  sources: SourcesRepo;
  destinations: DestinationsRepo;
  /** The chat to read, from a chat id or an @username. */
  chatFor(ref: string): CatalogChat;
}

/** Adopting needs a bot: the chat is read through the Bot API. */
export class AdoptError extends Error {
  override name = "AdoptError";
}

/**
 * `tele-backup adopt <chat>`: rebuilds the index from the catalog pinned in a chat
 * (src/engine/catalog.ts), so a new host can list, verify and restore what an earlier
 * installation stored there.
 * - Runs become ordinary runs here (`restore`, `verify`, `/restore`) and keep the installation
 *   id they were made by: retention here does not prune them (README "The catalog"), unless
 *   they are taken over (`--take-over`: for a host that is gone for good).
 * - Jobs and sources missing here are created **disabled** and without secrets; a job cannot
 *   be enabled until its source's password / its passphrase is set (`jobs.missing_secrets`).
 *   Jobs and sources that exist by name are left as they are.
 * - The chat becomes a destination (an existing one with the same chat id is reused).
 * - Idempotent: a run already in the index (same job and payload file name) is skipped.
 */
export class AdoptService {
  constructor(private readonly deps: AdoptDeps) {}

  /** Reads the chat's catalog. @throws CatalogError, CatalogVersionError, CatalogChatError */
  async inspect(ref: string, signal?: AbortSignal): Promise<AdoptPlan> {
    const catalog = await readPinnedCatalog(this.deps.chatFor(ref), signal);
    return {
      catalog,
      jobs: catalog.jobs.map((job) => {
        const exists = this.deps.jobs.findByName(job.name) != null;
        const sourceExists = this.deps.sources.findByName(job.source.name) != null;
        const missing: Array<"password" | "passphrase"> = [];
        if (!exists && !sourceExists && job.source.has_password) missing.push("password");
        if (!exists && job.encryption.type === "passphrase") missing.push("passphrase");
        return { job, exists, missing };
      }),
      runs: [...catalog.runs]
        .sort((a, b) => a.started_at.localeCompare(b.started_at) || a.run_id - b.run_id)
        .map((run) => ({ run, complete: isComplete(run), imported: run.file_name != null && this.deps.runs.fileNameTaken(run.job, run.file_name) })),
    };
  }

  /**
   * Imports what `inspect` found, in one transaction. `takeOver`: the runs become this
   * installation's (its retention prunes them from now on); otherwise they keep the installation
   * id they were made by and are never pruned here.
   */
  apply(plan: AdoptPlan, options: { takeOver?: boolean } = {}): AdoptResult {
    const { db, runs, jobs, sources } = this.deps;
    const result: AdoptResult = { destination: "", jobsCreated: [], sourcesCreated: [], runsImported: [], idsHere: [], runsSkipped: 0 };
    db.$client
      .transaction(() => {
        const destination = this.destinationFor(plan.catalog);
        result.destination = destination.name;
        for (const { job, exists, missing } of plan.jobs) {
          if (exists) continue;
          let source = sources.findByName(job.source.name);
          if (!source) {
            source = sources.insert({ name: job.source.name, kind: job.source.kind, settings: { ...job.source.settings }, passwordEnc: null });
            result.sourcesCreated.push(source.name);
          }
          jobs.insert(
            {
              name: job.name,
              sourceId: source.id,
              schedule: job.schedule,
              timezone: job.timezone,
              format: job.format,
              compression: job.compression,
              recipients: job.encryption.type === "recipients" ? [...job.encryption.recipients] : [],
              passphraseEnc: null,
              partSize: job.part_size,
              retention: { ...job.retention } as Record<string, number>,
              enabled: false,
              notify: {},
              missingSecrets: missing,
            },
            [destination.id],
          );
          result.jobsCreated.push(job.name);
        }
        for (const { run } of plan.runs) {
          if (!run.file_name || runs.fileNameTaken(run.job, run.file_name)) {
            result.runsSkipped++;
            continue;
          }
          const finishedAt = run.finished_at ? new Date(run.finished_at) : null;
          const row = runs.create({
            jobId: jobs.findByName(run.job)?.id ?? null,
            jobName: run.job,
            sourceKind: run.source_kind,
            trigger: "cli",
            status: "success",
            startedAt: new Date(run.started_at),
            finishedAt,
            fileName: run.file_name,
            rawSize: run.raw_size,
            payloadSize: run.payload_size,
            sha256: run.sha256,
            partCount: run.part_count,
            encryption: run.encryption,
            compression: run.compression,
            format: run.format,
            verifiedAt: run.verified ? finishedAt : null,
            manifest: run.manifest,
            installationId: options.takeOver && runs.installationId ? runs.installationId : (run.installation_id ?? plan.catalog.installation_id),
            owner: null,
          });
          for (const p of run.parts) {
            runs.addPart({
              runId: row.id,
              destinationId: destination.id,
              partIndex: p.index,
              name: p.name,
              size: p.size,
              sha256: p.sha256,
              locator: plan.catalog.chat.id,
              messageId: p.message_id,
              fileId: p.file_id,
              storedAt: new Date(p.stored_at),
            });
          }
          result.runsImported.push(row.id);
          result.idsHere.push({ from: run.run_id, id: row.id, job: run.job });
        }
      })
      .immediate();
    return result;
  }

  /** The destination for the catalog's chat: one with the same chat id, else a new one. */
  private destinationFor(catalog: Catalog): { id: number; name: string } {
    const { destinations } = this.deps;
    const { id: chatId, thread_id: threadId } = catalog.chat;
    const same = destinations
      .list()
      .find((d) => d.kind === "telegram" && String(d.settings.chatId) === chatId && (d.settings.threadId ?? undefined) === (threadId ?? undefined));
    if (same) return same;
    let name = catalog.chat.name ?? `chat${chatId}`;
    for (let i = 2; destinations.findByName(name); i++) name = `${catalog.chat.name ?? `chat${chatId}`}-${i}`;
    return destinations.insert({ name, kind: "telegram", settings: { chatId, ...(threadId ? { threadId } : {}) }, tokenEnc: null });
  }
}
