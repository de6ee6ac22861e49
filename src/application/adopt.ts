import type { Db } from "../db/client.js";
import type { CatalogChat } from "../destinations/telegram-catalog.js";
import type { DestinationsRepo } from "../repos/destinations.repo.js";
import type { JobsRepo } from "../repos/jobs.repo.js";
import type { RunsRepo } from "../repos/runs.repo.js";
import type { SettingsRepo } from "../repos/settings.repo.js";
import type { SourcesRepo } from "../repos/sources.repo.js";
import { CATALOG_FILE, CatalogError, chainHead, isComplete, parseCatalog, serializeCatalog, sha256, type Catalog, type CatalogHead, type CatalogJob, type CatalogPart, type CatalogPointer, type CatalogRun } from "../engine/catalog.js";
import { recordTakenOver } from "../engine/handover.js";

/** What `adopt` found in a chat's catalog, and what importing it would do. */
export interface AdoptPlan {
  /** The chat's pinned catalog. */
  catalog: Catalog;
  /**
   * Every catalog found in the chat: the pinned one first, then the other installations' it
   * points to (getChat shows only the newest pin), each with its head message.
   */
  catalogs: Array<{ catalog: Catalog; head: number }>;
  /** Catalogs the pinned one points to that could not be read (e.g. written by another bot). */
  unreadable: Array<{ installation_id: string; reason: string }>;
  /** The catalog's jobs; `exists`: a job of that name is here already (it is kept as it is). */
  jobs: Array<{ job: CatalogJob; exists: boolean; missing: Array<"password" | "passphrase"> }>;
  /** The catalogs' runs, oldest first, each once; `imported`: already in this index (adopted before); `installation`: whose catalog lists it. */
  runs: Array<{ run: CatalogRun; complete: boolean; imported: boolean; installation: string }>;
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
  /** Runs taken over (`takeOver`), by the installation they came from. */
  takenOver: Array<{ installation: string; runs: number }>;
}

export interface AdoptDeps {
  db: Db;
  runs: RunsRepo;
  jobs: JobsRepo;
  sources: SourcesRepo;
  destinations: DestinationsRepo;
  settings: Pick<SettingsRepo, "get" | "set">;
  /** The installation adopting (takeovers make runs its own). */
  installationId: string;
  /** The caption of a catalog document, in the channel's language. */
  caption(catalog: Catalog): string;
  /** Publishes this installation's catalog of a destination (after a takeover: it lists `taken_over`). */
  publish(destinationId: number, signal?: AbortSignal): Promise<unknown>;
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

  /** Reads the chat's catalog and the catalogs it points to. @throws CatalogError, CatalogVersionError, CatalogChatError */
  async inspect(ref: string, signal?: AbortSignal): Promise<AdoptPlan> {
    const chat = this.deps.chatFor(ref);
    const pinned = await chat.pinned(signal);
    if (!pinned) throw new CatalogError("the chat has no pinned message: no Tele-Backup catalog was published there (or it was unpinned)");
    if (!pinned.fileId) throw new CatalogError("the chat's pinned message is not a document: not a Tele-Backup catalog");
    const read = async (fileId: string) => parseCatalog(await chat.download(fileId, signal), (p) => chat.download(p.file_id, signal));
    const catalog = await read(pinned.fileId);
    const catalogs = [{ catalog, head: pinned.messageId }];
    const unreadable: AdoptPlan["unreadable"] = [];
    // Follow the pointers breadth-first: a catalog may know of installations the pinned one does not.
    const queue: CatalogPointer[] = [...(catalog.others ?? [])];
    const seen = new Set([catalog.installation_id]);
    for (let p = queue.shift(); p; p = queue.shift()) {
      if (seen.has(p.installation_id)) continue;
      seen.add(p.installation_id);
      try {
        const other = await read(p.file_id);
        catalogs.push({ catalog: other, head: p.message_id });
        queue.push(...(other.others ?? []));
      } catch (err) {
        unreadable.push({ installation_id: p.installation_id, reason: (err as Error).message });
      }
    }
    return { catalog, catalogs, unreadable, jobs: this.jobsOf(catalogs.map((c) => c.catalog)), runs: this.runsOf(catalogs.map((c) => c.catalog)) };
  }

  private jobsOf(catalogs: Catalog[]): AdoptPlan["jobs"] {
    const byName = new Map<string, CatalogJob>();
    for (const c of catalogs) for (const job of c.jobs) if (!byName.has(job.name)) byName.set(job.name, job);
    return [...byName.values()].map((job) => {
      const exists = this.deps.jobs.findByName(job.name) != null;
      const sourceExists = this.deps.sources.findByName(job.source.name) != null;
      const missing: Array<"password" | "passphrase"> = [];
      if (!exists && !sourceExists && job.source.has_password) missing.push("password");
      if (!exists && job.encryption.type === "passphrase") missing.push("passphrase");
      return { job, exists, missing };
    });
  }

  /** Each run once: the entry of the installation that holds it now (not one marked handed over). */
  private runsOf(catalogs: Catalog[]): AdoptPlan["runs"] {
    const byKey = new Map<string, { run: CatalogRun; installation: string }>();
    const entries = catalogs.flatMap((c) => c.runs.map((run) => ({ run, installation: c.installation_id })));
    for (const e of [...entries.filter((e) => !e.run.handed_over), ...entries.filter((e) => e.run.handed_over)]) {
      const key = `${e.run.job}\u0000${e.run.file_name ?? `#${e.installation}:${e.run.run_id}`}`;
      if (!byKey.has(key)) byKey.set(key, e);
    }
    return [...byKey.values()]
      .sort((a, b) => a.run.started_at.localeCompare(b.run.started_at) || a.run.run_id - b.run.run_id)
      .map(({ run, installation }) => ({
        run,
        installation,
        complete: isComplete(run),
        imported: run.file_name != null && this.deps.runs.fileNameTaken(run.job, run.file_name),
      }));
  }

  /**
   * Imports what `inspect` found, in one transaction. `takeOver`: the runs become this
   * installation's (its retention prunes them from now on); otherwise they keep the installation
   * id they were made by and are never pruned here.
   */
  apply(plan: AdoptPlan, options: { takeOver?: boolean } = {}): AdoptResult {
    const { db, runs, jobs, sources } = this.deps;
    const result: AdoptResult = { destination: "", jobsCreated: [], sourcesCreated: [], runsImported: [], idsHere: [], runsSkipped: 0, takenOver: [] };
    const takeovers: Array<{ installation_id: string; job: string; file_name: string; at: string }> = [];
    const at = new Date().toISOString();
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
        for (const { run, installation } of plan.runs) {
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
            installationId: options.takeOver ? this.deps.installationId : (run.installation_id ?? installation),
            owner: null,
          });
          const from = run.installation_id ?? installation;
          if (options.takeOver && from !== this.deps.installationId) takeovers.push({ installation_id: from, job: run.job, file_name: run.file_name, at });
          const addParts = (parts: CatalogPart[], chat: string, copy: number) => {
            for (const p of parts) {
              runs.addPart({
                runId: row.id,
                destinationId: destination.id,
                partIndex: p.index,
                copy,
                name: p.name,
                size: p.size,
                sha256: p.sha256,
                locator: chat,
                messageId: p.message_id,
                fileId: p.file_id,
                storedAt: new Date(p.stored_at),
              });
            }
          };
          addParts(run.parts, plan.catalog.chat.id, 0);
          if (run.mirror) addParts(run.mirror.parts, run.mirror.chat, 1);
          result.runsImported.push(row.id);
          result.idsHere.push({ from: run.run_id, id: row.id, job: run.job });
        }
        if (takeovers.length > 0) recordTakenOver(this.deps.settings, takeovers);
      })
      .immediate();
    const counts = new Map<string, number>();
    for (const t of takeovers) counts.set(t.installation_id, (counts.get(t.installation_id) ?? 0) + 1);
    result.takenOver = [...counts].map(([installation, runs]) => ({ installation, runs }));
    return result;
  }

  /**
   * After a takeover: the catalogs of the installations the runs came from are edited in place
   * (the same bot may replace its own document at any age) to mark those runs handed over, so a
   * later `adopt` of the chat does not offer them twice, and a live old installation, which also
   * reads this installation's catalog (`taken_over`, published here first), stops pruning
   * them. Best effort, per catalog: the failures are returned (the takeover itself stands).
   */
  async handOver(ref: string, plan: AdoptPlan, result: AdoptResult, signal?: AbortSignal): Promise<Array<{ installation: string; error?: string }>> {
    if (result.takenOver.length === 0) return [];
    const destination = this.deps.destinations.findByName(result.destination);
    const outcome: Array<{ installation: string; error?: string }> = [];
    if (destination) {
      try {
        await this.deps.publish(destination.id, signal);
      } catch (err) {
        outcome.push({ installation: this.deps.installationId, error: (err as Error).message });
      }
    }
    const chat = this.deps.chatFor(ref);
    const at = new Date().toISOString();
    const taken = new Set(plan.runs.filter((r) => result.idsHere.some((i) => i.from === r.run.run_id && i.job === r.run.job)).map((r) => `${r.run.job}\u0000${r.run.file_name}`));
    for (const { catalog, head } of plan.catalogs) {
      if (catalog.installation_id === this.deps.installationId) continue;
      const runs = catalog.runs.map((r) => (taken.has(`${r.job}\u0000${r.file_name}`) && !r.handed_over ? { ...r, handed_over: { to: this.deps.installationId, at } } : r));
      if (runs.every((r, i) => r === catalog.runs[i])) continue;
      const edited: Catalog = { ...catalog, runs };
      try {
        const { text, chunks } = serializeCatalog(edited, 8 * 1024 * 1024);
        let bytes = text;
        if (chunks.length > 0) {
          const parts: CatalogHead["chain"]["parts"] = [];
          for (const [i, chunk] of chunks.entries()) {
            const doc = await chat.upload(`${CATALOG_FILE}.${String(i + 1).padStart(3, "0")}.part`, chunk, this.deps.caption(edited), signal);
            parts.push({ message_id: doc.messageId, file_id: doc.fileId, size: chunk.length, sha256: sha256(chunk) });
          }
          bytes = Buffer.from(JSON.stringify(chainHead(edited, text, parts), null, 1) + "\n");
        }
        await chat.replace(head, CATALOG_FILE, bytes, this.deps.caption(edited), signal);
        outcome.push({ installation: catalog.installation_id });
      } catch (err) {
        outcome.push({ installation: catalog.installation_id, error: (err as Error).message });
      }
    }
    return outcome;
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
    // The mirror chat goes with the destination, as the runs' mirror copies say.
    const mirrorChatId = catalog.runs.find((r) => r.mirror)?.mirror?.chat;
    return destinations.insert({ name, kind: "telegram", settings: { chatId, ...(threadId ? { threadId } : {}), ...(mirrorChatId ? { mirrorChatId } : {}) }, tokenEnc: null });
  }
}
