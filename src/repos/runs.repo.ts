import { and, desc, eq, isNotNull, isNull, max, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { runParts, runs, stoppedContainers, type RunPartRow, type RunRow, type StoppedContainerRow } from "../db/schema.js";
import { once } from "../shared/once.js";
import { ownerToken } from "../shared/process-owner.js";

export type NewRun = typeof runs.$inferInsert;
export type NewRunPart = typeof runParts.$inferInsert;

export class RunsRepo {
  /** `installationId`: stamped on every run this repository creates (see src/engine/installation.ts). */
  constructor(
    private readonly db: Db,
    readonly installationId: string | null = null,
  ) {}

  /** A new run, owned by this process unless `owner` says otherwise (see src/shared/process-owner.ts). */
  create(values: NewRun): RunRow {
    return this.db.insert(runs).values({ owner: ownerToken(), installationId: this.installationId, ...values }).returning().get();
  }

  update(id: number, values: Partial<NewRun>): void {
    this.db.update(runs).set(values).where(eq(runs.id, id)).run();
  }

  /** Whether a run of this job already used this payload file name. */
  fileNameTaken(jobName: string, fileName: string): boolean {
    return this.db.select({ id: runs.id }).from(runs).where(and(eq(runs.jobName, jobName), eq(runs.fileName, fileName))).get() !== undefined;
  }

  /**
   * Creates a run under the first payload file name `nameAt(0)`, `nameAt(1)`, … that no run of
   * its job used yet. The check and the insert hold the database's write lock together (BEGIN
   * IMMEDIATE): another process starting the same job in the same second waits, then takes the
   * next name, and never shares this one (its parts would overwrite these).
   */
  createWithFreeName(values: Omit<NewRun, "fileName">, nameAt: (attempt: number) => string): RunRow {
    return this.db.transaction(
      () => {
        let attempt = 0;
        while (this.fileNameTaken(values.jobName, nameAt(attempt))) attempt++;
        return this.create({ ...values, fileName: nameAt(attempt) });
      },
      { behavior: "immediate" },
    );
  }

  /** The run of a job with this payload file name (unique per job), if any. */
  findByFileName(jobName: string, fileName: string): RunRow | null {
    return this.db.select().from(runs).where(and(eq(runs.jobName, jobName), eq(runs.fileName, fileName))).get() ?? null;
  }

  /** Which installation's retention prunes the run (a takeover changes it). */
  setInstallation(id: number, installationId: string): void {
    this.db.update(runs).set({ installationId }).where(eq(runs.id, id)).run();
  }

  get(id: number): RunRow | null {
    return this.db.select().from(runs).where(eq(runs.id, id)).get() ?? null;
  }

  /**
   * A job's runs, newest first. "Newest" is the sequence (the run id grows with every run
   * started), never the clock: a start time recorded while the clock was wrong does not move a run.
   */
  listByJob(jobId: number, limit = 50, offset = 0): RunRow[] {
    return this.byJob().all({ jobId, limit, offset });
  }

  private readonly byJob = once(() =>
    this.db.select().from(runs).where(eq(runs.jobId, sql.placeholder("jobId"))).orderBy(desc(runs.id)).limit(sql.placeholder("limit")).offset(sql.placeholder("offset")).prepare(),
  );

  /** The job's newest run that succeeded with every part read back (a good backup); null when none did. */
  lastVerifiedSuccess(jobId: number): RunRow | null {
    return this.lastGood().get({ jobId }) ?? null;
  }

  private readonly lastGood = once(() =>
    this.db
      .select()
      .from(runs)
      .where(and(eq(runs.jobId, sql.placeholder("jobId")), eq(runs.status, "success"), isNotNull(runs.verifiedAt)))
      .orderBy(desc(runs.id))
      .limit(1)
      .prepare(),
  );

  /** Every job's runs, newest (highest id) first. */
  list(limit = 50, offset = 0): RunRow[] {
    return this.db.select().from(runs).orderBy(desc(runs.id)).limit(limit).offset(offset).all();
  }

  /**
   * Runs whose job was deleted (the row keeps the job's name; `job_id` became null), newest
   * first; `jobName`: only that job's.
   */
  listOrphans(jobName?: string, limit = 50, offset = 0): RunRow[] {
    const where = jobName === undefined ? isNull(runs.jobId) : and(isNull(runs.jobId), eq(runs.jobName, jobName));
    return this.db.select().from(runs).where(where).orderBy(desc(runs.id)).limit(limit).offset(offset).all();
  }

  /** Names of deleted jobs that left runs, each with its newest run's id (newest first). */
  orphanJobs(): Array<{ jobName: string; lastRunId: number }> {
    return this.db
      .select({ jobName: runs.jobName, lastRunId: max(runs.id) })
      .from(runs)
      .where(isNull(runs.jobId))
      .groupBy(runs.jobName)
      .orderBy(desc(max(runs.id)))
      .all()
      .map((r) => ({ jobName: r.jobName, lastRunId: r.lastRunId ?? 0 }));
  }

  listByStatus(status: RunRow["status"]): RunRow[] {
    return this.db.select().from(runs).where(eq(runs.status, status)).all();
  }

  /** Runs that recorded hooks they still owe (src/engine/run/hooks.ts). */
  withPendingHooks(): RunRow[] {
    return this.db.select().from(runs).where(isNotNull(runs.pendingHooks)).orderBy(runs.id).all();
  }

  addPart(values: NewRunPart): RunPartRow {
    return this.db.insert(runParts).values(values).returning().get();
  }

  /** Parts not deleted, ordered by destination then part number. */
  liveParts(runId: number): RunPartRow[] {
    return this.db
      .select()
      .from(runParts)
      .where(and(eq(runParts.runId, runId), isNull(runParts.deletedAt)))
      .orderBy(runParts.destinationId, runParts.copy, runParts.partIndex)
      .all();
  }

  /**
   * Successful, unexpired runs with live parts at this destination, oldest first, each with
   * those parts (manifest included). `installationId`: only that installation's runs (and runs
   * that carry none: made before installation ids existed).
   */
  keptAt(destinationId: number, installationId: string | null): Array<{ run: RunRow; parts: RunPartRow[] }> {
    const parts = this.db
      .select()
      .from(runParts)
      // The catalog describes the chat's own messages, not their copies in a mirror chat.
      .where(and(eq(runParts.destinationId, destinationId), eq(runParts.copy, 0), isNull(runParts.deletedAt)))
      .orderBy(runParts.runId, runParts.partIndex)
      .all();
    const byRun = new Map<number, RunPartRow[]>();
    for (const p of parts) byRun.set(p.runId, [...(byRun.get(p.runId) ?? []), p]);
    const out: Array<{ run: RunRow; parts: RunPartRow[] }> = [];
    for (const [runId, list] of byRun) {
      const run = this.get(runId);
      if (run?.status !== "success" || run.expiredAt != null) continue;
      if (installationId != null && run.installationId != null && run.installationId !== installationId) continue;
      out.push({ run, parts: list });
    }
    return out;
  }

  /**
   * The manifests of the `limit` newest runs stored at this destination and not deleted (lost
   * ones included: a folder whose disk is not mounted loses them all at once), newest first.
   */
  newestManifestsAt(destinationId: number, limit: number): Array<{ jobName: string; name: string; locator: string | null }> {
    return this.db
      .select({ jobName: runs.jobName, name: runParts.name, locator: runParts.locator })
      .from(runParts)
      .innerJoin(runs, eq(runs.id, runParts.runId))
      .where(and(eq(runParts.destinationId, destinationId), eq(runParts.copy, 0), eq(runParts.partIndex, 0), isNull(runParts.deletedAt)))
      .orderBy(desc(runParts.storedAt), desc(runParts.id))
      .limit(limit)
      .all();
  }

  allParts(runId: number): RunPartRow[] {
    return this.db.select().from(runParts).where(eq(runParts.runId, runId)).orderBy(runParts.destinationId, runParts.partIndex).all();
  }

  /** Points a part's row at a new copy of the same part (uploaded again after a bad read-back). */
  movePart(partId: number, values: Pick<NewRunPart, "locator" | "messageId" | "fileId" | "storedAt">): RunPartRow {
    return this.db.update(runParts).set({ ...values, deletedAt: null }).where(eq(runParts.id, partId)).returning().get()!;
  }

    markPartDeleted(partId: number, at = new Date()): void {
    this.db.update(runParts).set({ deletedAt: at }).where(eq(runParts.id, partId)).run();
  }

  /** The chat message showing the run's progress, so that recovery can finalize it after a crash. */
  setProgressMessage(id: number, chatId: number, messageId: number): void {
    this.db.update(runs).set({ progressChatId: chatId, progressMessageId: messageId }).where(eq(runs.id, id)).run();
  }

  /** Records a container the run is about to stop (before it is stopped). */
  recordStoppedContainer(runId: number, container: { id: string; name: string }, at = new Date()): void {
    this.db.insert(stoppedContainers).values({ runId, containerId: container.id, name: container.name, stoppedAt: at }).run();
  }

  /** The container runs again (or was never stopped): nothing left for recovery. */
  forgetStoppedContainer(runId: number, containerId: string): void {
    this.db.delete(stoppedContainers).where(and(eq(stoppedContainers.runId, runId), eq(stoppedContainers.containerId, containerId))).run();
  }

  /** Containers a run stopped and has not started again, in the order they were stopped. */
  stoppedContainers(runId: number): StoppedContainerRow[] {
    return this.db.select().from(stoppedContainers).where(eq(stoppedContainers.runId, runId)).orderBy(stoppedContainers.id).all();
  }

  /** Every recorded stopped container, of any run, in the order they were stopped. */
  allStoppedContainers(): StoppedContainerRow[] {
    return this.db.select().from(stoppedContainers).orderBy(stoppedContainers.id).all();
  }

  /** Every distinct process that ever owned a run of this source kind (for recovery's "is it still alive?"). */
  owners(sourceKind: string): string[] {
    return this.db.selectDistinct({ owner: runs.owner }).from(runs).where(eq(runs.sourceKind, sourceKind)).all().flatMap((r) => (r.owner ? [r.owner] : []));
  }
}
