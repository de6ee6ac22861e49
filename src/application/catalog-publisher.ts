import type { CatalogChat } from "../destinations/telegram-catalog.js";
import type { JobRow, SourceRow } from "../db/schema.js";
import type { Logger } from "../logger.js";
import type { Notifier } from "../notify/port.js";
import type { RunsRepo } from "../repos/runs.repo.js";
import type { SettingsRepo } from "../repos/settings.repo.js";
import type { Clock } from "../scheduler/clock.js";
import { buildCatalog, CATALOG_FILE, chainHead, parseCatalog, serializeCatalog, sha256, type Catalog, type CatalogHead, type CatalogPointer } from "../engine/catalog.js";
import { handedOver, mergePointers, recordHandedOver, takenOver } from "../engine/handover.js";

/** Settings key of what this installation last published as a destination's catalog. */
export const catalogStateKey = (destinationId: number) => `catalog.${destinationId}`;
/** Set while a destination's catalog cannot be published for a permanent reason (the admins were told). */
const refusedKey = (destinationId: number) => `catalog.${destinationId}.refused`;
/** Other installations' catalogs seen pinned in a destination's chat (`CatalogPointer[]`). */
const othersKey = (destinationId: number) => `catalog.${destinationId}.others`;

/** The catalog this installation last pinned in a chat. */
export interface PublishedCatalog {
  chat: string;
  /** The pinned document. */
  head: number;
  headFileId?: string;
  /** Every document of it (continuations first, the head last). */
  messages: number[];
  sequence: number;
  /** The admins were told the pinned catalog had gone (one warning until a new one is pinned). */
  warnedMissing?: boolean;
}

/** Telegram documents of the cloud Bot API download up to 20 MB; a catalog document stays well below. */
const DEFAULT_MAX_DOCUMENT_BYTES = 8 * 1024 * 1024;

export interface CatalogPublisherDeps {
  runs: RunsRepo;
  installationId: string;
  /** The jobs delivering to a destination, a job by name, a source by id. */
  jobsAt(destinationId: number): JobRow[];
  jobByName(name: string): JobRow | null;
  sourceById(id: number): SourceRow | null;
  /** Destinations a job delivers to. */
  destinationsOf(jobId: number): number[];
  settings: Pick<SettingsRepo, "get" | "set">;
  /** The chat behind a destination, when it is a Telegram chat (null otherwise, or when gone); `language`: the destination's, for its posts. */
  chatFor(destinationId: number): Promise<{ chat: CatalogChat; name: string; threadId?: number; language?: string } | null>;
  /** The pinned document's caption, in `language` (the destination's) or else the channels' default language. */
  caption(catalog: Catalog, language?: string): string;
  notifier: Notifier;
  log: Logger;
  clock?: Pick<Clock, "now">;
  /** Larger catalogs are chained over several documents (tests make it small). */
  maxDocumentBytes?: number;
}

/**
 * Keeps every Telegram destination's catalog current (src/engine/catalog.ts, README "The
 * catalog"): every kept run this index holds for the chat, its own and those adopted from
 * another installation (listing is no touching: pruning leaves adopted runs alone). After a run (and its prune) the destination's catalog is rebuilt from the run
 * index and published in an order that never leaves the chat without a valid one:
 * 1. continuation documents (when chained), then the head document are uploaded;
 * 2. the head is pinned (from now on `getChat` finds the new catalog);
 * 3. only then is the previous catalog unpinned and deleted (best effort: Telegram keeps
 *    messages older than 48 hours; an unpinned old catalog is harmless).
 * An interruption before step 2 leaves the previous catalog pinned and valid. A pinned catalog
 * that is no longer the chat's pinned message (someone unpinned or deleted it, or pinned
 * something over it) is published again, with one warning to the admins.
 */
export class CatalogPublisher {
  constructor(private readonly deps: CatalogPublisherDeps) {}

  /** Publishes the catalogs of the job's destinations; failures are logged, never thrown. */
  async afterRun(jobId: number): Promise<void> {
    for (const id of this.deps.destinationsOf(jobId)) {
      try {
        await this.publish(id);
      } catch (err) {
        this.deps.log.warn({ destinationId: id, err: (err as Error).message }, "the chat's catalog could not be updated; the previous one stays pinned");
      }
    }
  }

  /**
   * Before a prune deletes anything: publishes the job's catalogs without the runs about to go.
   * Throws when a catalog could not be published for a reason that may pass (the prune then
   * deletes nothing); a permanent one (no right to pin) is logged and lets the prune go on,
   * since no catalog of this chat would ever be valid.
   */
  async beforePrune(jobId: number, runIds: number[]): Promise<void> {
    const exclude = new Set(runIds);
    for (const id of this.deps.destinationsOf(jobId)) {
      try {
        await this.publish(id, { exclude });
      } catch (err) {
        if (!(err as { permanent?: boolean }).permanent) throw err;
        this.deps.log.warn({ destinationId: id, err: (err as Error).message }, "the chat's catalog cannot be published (permanent failure)");
      }
    }
  }

  /** Publishes one destination's catalog; null when it is no Telegram chat. `exclude`: runs left out (about to be pruned). */
  async publish(destinationId: number, options: { exclude?: ReadonlySet<number>; signal?: AbortSignal } = {}): Promise<PublishedCatalog | null> {
    const { signal } = options;
    const { runs, settings, log } = this.deps;
    const target = await this.deps.chatFor(destinationId);
    if (!target) return null;
    const { chat } = target;
    const key = catalogStateKey(destinationId);
    const stored = settings.get(key);
    const previous = stored ? (JSON.parse(stored) as PublishedCatalog) : null;
    const sameChat = previous?.chat === chat.chat ? previous : null;

    const pinned = await chat.pinned(signal).catch((err: unknown) => {
      log.debug({ err: (err as Error).message }, "could not read the chat's pinned message");
      return undefined;
    });
    // Another installation's catalog pinned over ours (two sidecars, one chat) is expected: no
    // warning; it is remembered (getChat shows only the newest pin) and its takeovers honoured.
    const otherCatalog = pinned != null && pinned.messageId !== sameChat?.head && pinned.fileName === CATALOG_FILE && pinned.fileId != null;
    if (otherCatalog) await this.learnFrom(destinationId, chat, { messageId: pinned.messageId, fileId: pinned.fileId! }, signal);
    if (sameChat) {
      if (pinned !== undefined && pinned?.messageId !== sameChat.head && !otherCatalog && !sameChat.warnedMissing) {
        log.warn({ destination: target.name, chat: chat.chat }, "the chat's catalog is no longer its pinned message; publishing it again");
        settings.set(key, JSON.stringify({ ...sameChat, warnedMissing: true }));
        await this.deps.notifier.alertAdmins("alert-catalog-recreated", { destination: target.name, chat: chat.chat });
      }
    }

    const kept = runs.keptAt(destinationId, null).filter((r) => !options.exclude?.has(r.run.id));
    const catalog = buildCatalog({
      installationId: this.deps.installationId,
      sequence: (previous?.sequence ?? 0) + 1,
      now: this.deps.clock?.now() ?? new Date(),
      chat: { id: chat.chat, name: target.name, ...(target.threadId ? { thread_id: target.threadId } : {}) },
      // Runs adopted from another installation are listed too (with their own installation id):
      // this index keeps them, so a later `adopt` must find them; only pruning leaves them alone.
      runs: kept,
      jobs: this.jobsFor(destinationId),
      mirrors: new Map(kept.map(({ run }) => [run.id, runs.liveParts(run.id).filter((p) => p.destinationId === destinationId && p.copy === 1)])),
      handedOver: handedOver(settings),
      others: this.othersOf(destinationId),
      takenOver: takenOver(settings),
    });
    const { text, chunks } = serializeCatalog(catalog, this.deps.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES);
    const caption = this.deps.caption(catalog, target.language);
    const uploaded: number[] = [];
    let head: number;
    let headFileId: string;
    try {
      let headBytes = text;
      if (chunks.length > 0) {
        const parts: CatalogHead["chain"]["parts"] = [];
        for (const [i, chunk] of chunks.entries()) {
          const doc = await chat.upload(`${CATALOG_FILE}.${String(i + 1).padStart(3, "0")}.part`, chunk, caption, signal);
          uploaded.push(doc.messageId);
          parts.push({ message_id: doc.messageId, file_id: doc.fileId, size: chunk.length, sha256: sha256(chunk) });
        }
        headBytes = Buffer.from(JSON.stringify(chainHead(catalog, text, parts), null, 1) + "\n");
      }
      const doc = await chat.upload(CATALOG_FILE, headBytes, caption, signal);
      uploaded.push(doc.messageId);
      head = doc.messageId;
      headFileId = doc.fileId;
      await chat.pin(head, signal);
    } catch (err) {
      // Not pinned: the previous catalog is still the chat's; the new documents are litter.
      await chat.discard(uploaded, []);
      // A failure retrying cannot cure (the bot may not pin): the admins are told once.
      if ((err as { permanent?: boolean }).permanent && !settings.get(refusedKey(destinationId))) {
        settings.set(refusedKey(destinationId), "1");
        await this.deps.notifier.alertAdmins("alert-catalog-refused", { destination: target.name, chat: chat.chat, error: (err as Error).message });
      }
      throw err;
    }
    const published: PublishedCatalog = { chat: chat.chat, head, headFileId, messages: uploaded, sequence: catalog.sequence };
    settings.set(key, JSON.stringify(published));
    if (settings.get(refusedKey(destinationId))) settings.set(refusedKey(destinationId), "");
    if (sameChat) await chat.discard(sameChat.messages, [sameChat.head]);
    log.info({ destination: target.name, runs: catalog.runs.length, documents: uploaded.length }, "catalog published");
    return published;
  }

  /**
   * Reads another installation's catalog pinned in the chat: remembers where it is (and the
   * catalogs it knows of), and gives back the runs it says it took over from this installation
   * (their installation id changes here, so this retention stops pruning them). Best effort: a
   * catalog this bot cannot read (another bot's file ids) is skipped.
   */
  private async learnFrom(destinationId: number, chat: CatalogChat, head: { messageId: number; fileId: string }, signal?: AbortSignal): Promise<void> {
    const { settings, runs, log, installationId } = this.deps;
    let other: Catalog;
    try {
      other = await parseCatalog(await chat.download(head.fileId, signal), (p) => chat.download(p.file_id, signal));
    } catch (err) {
      log.debug({ err: (err as Error).message }, "the catalog pinned in the chat could not be read");
      return;
    }
    if (other.installation_id === installationId) return;
    const seen: CatalogPointer = { installation_id: other.installation_id, sequence: other.sequence, written_at: other.written_at, message_id: head.messageId, file_id: head.fileId };
    const known = mergePointers(this.othersOf(destinationId), [seen, ...(other.others ?? [])], installationId);
    settings.set(othersKey(destinationId), JSON.stringify(known));
    for (const t of other.taken_over ?? []) {
      if (t.installation_id !== installationId) continue;
      const run = runs.findByFileName(t.job, t.file_name);
      if (!run || run.installationId !== installationId) continue;
      runs.setInstallation(run.id, other.installation_id);
      recordHandedOver(settings, { runId: run.id, to: other.installation_id, at: t.at });
      log.info({ run: run.id, job: t.job, to: other.installation_id }, "run handed over to another installation; this one no longer prunes it");
    }
  }

  private othersOf(destinationId: number): CatalogPointer[] {
    const stored = this.deps.settings.get(othersKey(destinationId));
    return stored ? (JSON.parse(stored) as CatalogPointer[]) : [];
  }

  private jobsFor(destinationId: number): Array<{ job: JobRow; source: SourceRow | null }> {
    const byName = new Map<string, JobRow>();
    for (const job of this.deps.jobsAt(destinationId)) byName.set(job.name, job);
    for (const { run } of this.deps.runs.keptAt(destinationId, null)) {
      if (byName.has(run.jobName)) continue;
      const job = this.deps.jobByName(run.jobName);
      if (job) byName.set(job.name, job);
    }
    return [...byName.values()].map((job) => ({ job, source: this.deps.sourceById(job.sourceId) }));
  }
}
