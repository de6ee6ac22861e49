import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import type { DrillRow, RunInventory, RunRow } from "../db/schema.js";
import { resolveSecret } from "../crypto/secret-ref.js";
import type { DestinationConfig } from "../destinations/port.js";
import type { DestinationFactory } from "../destinations/registry.js";
import { countTables, dropDatabase, drillDatabaseName, drillOf, isDbSource, listDrillDatabases, type DbSource } from "../engine/drill-db.js";
import { countFiles, sqliteInventory, tarFileInventory } from "../engine/drill-targets.js";
import { parseIdentityFile } from "../engine/stages/encrypt.js";
import { ageStanzas, compareInventory, MAX_DIFFERENCES, type DrillReport } from "../engine/drill.js";
import { locationOf } from "../engine/part-location.js";
import type { RestoreService } from "../engine/restore.js";
import type { Logger } from "../logger.js";
import type { Notifier } from "../notify/port.js";
import type { DrillsRepo } from "../repos/drills.repo.js";
import type { RunsRepo } from "../repos/runs.repo.js";
import type { Clock } from "../scheduler/clock.js";
import { CronSchedule } from "../scheduler/cron.js";
import type { SourcesService } from "../services/sources.service.js";
import type { JobsService } from "../services/jobs.service.js";
import { isOwnerAlive, ownerTag } from "../shared/process-owner.js";
import type { SourceConfig } from "../sources/port.js";
import { oneLine } from "../shared/one-line.js";

export type DrillTrigger = DrillRow["trigger"];

/** `drill.schedule: weekly`: Sunday 04:00 in the job's time zone. */
export const WEEKLY_DRILL = "0 4 * * 0";

export interface DrillDeps {
  jobs: Pick<JobsService, "resolve" | "findRow">;
  /** Decrypts a stored secret (the drill identity is kept as secretbox ciphertext). */
  decrypt: (ciphertext: string) => string;
  sources: Pick<SourcesService, "resolve">;
  runs: RunsRepo;
  drills: DrillsRepo;
  restorer: RestoreService;
  makeDestination: DestinationFactory;
  destinationConfig: (id: number) => Promise<DestinationConfig | null>;
  notifier: Notifier;
  spoolDir: string;
  log: Logger;
  clock?: Pick<Clock, "now">;
  env?: NodeJS.ProcessEnv;
  /** Whether an owner token's process still runs (tests inject it). */
  isAlive?: (owner: string | null) => boolean;
  /** Jobs with their drill settings, for scheduled drills (re-read on every tick). */
  listJobs?: () => Array<{ id: number; name: string; enabled: boolean; timezone: string | null; drill: { schedule?: string } }>;
  /** Time zone of jobs without one (TZ). */
  defaultTimezone?: string;
}

/** A drill that cannot start (unknown job, no run to drill); the message is for the user. */
export class DrillError extends Error {
  override name = "DrillError";
}

/** First bytes of the payload read for the age header (more than any header this program writes). */
const HEADER_BYTES = 64 * 1024;

/**
 * Restore drills: take the job's newest good run, fetch every part from its destinations (not
 * the spool), check the hashes, decrypt, restore into a throw-away target and compare with what
 * the run counted at dump time. The source and its database are never touched: databases are
 * restored as a new scratch database on the same server (`__tb_drill_…`, dropped afterwards),
 * SQLite and archives into a temporary folder under the spool (`restore-<run>-<owner>-drill…`,
 * removed afterwards, and by start-up recovery after a crash).
 *
 * Every drill is recorded (`drills`) before it creates anything, with its scratch database
 * name and source, so `recover()` can drop what a killed drill left behind.
 */
export class DrillService {
  constructor(private readonly deps: DrillDeps) {}

  private now(): Date {
    return this.deps.clock?.now() ?? new Date();
  }

  /** When the job was last proven restorable in full (a passed full drill), or null. For the job card and /status. */
  lastProven(jobId: number): Date | null {
    return this.deps.drills.lastProvenRestorable(jobId)?.finishedAt ?? null;
  }

  /** The newest run of the job that can be drilled: successful, not pruned, with parts. */
  newestGoodRun(jobId: number): RunRow | null {
    return this.deps.runs.listByJob(jobId, 50).find((r) => r.status === "success" && r.expiredAt == null && (r.partCount ?? 0) > 0) ?? null;
  }

  /**
   * Runs one drill of job `ref`, stores and posts its result.
   * @throws DrillError when the job does not exist or has no run to drill (nothing is recorded)
   */
  async drill(ref: string | number, trigger: DrillTrigger, signal?: AbortSignal): Promise<DrillReport> {
    const row = this.deps.jobs.findRow(ref);
    if (!row) throw new DrillError(`no job named "${String(ref)}"`);
    const run = this.newestGoodRun(row.id);
    if (!run) throw new DrillError(`job "${row.name}" has no successful run to drill yet`);
    const job = await this.deps.jobs.resolve(row.id);
    const source = job.source.config;
    const scratch = isDbSource(source) && source.kind === run.sourceKind ? drillDatabaseName(this.now()) : null;
    const started = this.now();
    const record = this.deps.drills.begin({ jobId: row.id, jobName: row.name, runId: run.id, trigger, sourceId: job.source.id, scratch }, started);
    const log = this.deps.log.child({ drill: record.id, job: row.name, run: run.id });
    log.info({ trigger }, "restore drill started");
    const report: DrillReport = {
      drillId: record.id, job: row.name, runId: run.id, runAt: run.startedAt, status: "failed", level: "full",
      durationMs: 0, restoreMs: null, tables: null, files: null, differences: [], error: null, uncounted: false,
    };
    try {
      const identity = await this.identityOf(row.drillIdentityEnc ?? null);
      if (run.encryption === "recipients" && !identity) await this.partialProof(run, report, signal);
      else await this.fullDrill(run, source, scratch, identity, report, signal);
    } catch (err) {
      report.status = "failed";
      report.error = oneLine(err, 500);
      log.warn({ err: report.error }, "restore drill failed");
    } finally {
      if (scratch && isDbSource(source)) await this.dropDrill(source, scratch, log);
    }
    report.durationMs = this.now().getTime() - started.getTime();
    this.deps.drills.update(record.id, {
      status: report.status,
      level: report.level,
      finishedAt: this.now(),
      durationMs: report.durationMs,
      restoreMs: report.restoreMs,
      tables: report.tables ?? report.files,
      differences: report.differences,
      error: report.error,
    });
    log.info({ status: report.status, level: report.level, differences: report.differences.length }, "restore drill finished");
    await this.deps.notifier.drillFinished?.(report, { jobId: row.id });
    return report;
  }

  /** The drill identities (`drill.identity`: a key or an identity file's text), resolved; undefined when the job has none. */
  private async identityOf(enc: string | null): Promise<string[] | undefined> {
    if (!enc) return undefined;
    try {
      const keys = parseIdentityFile(await resolveSecret(this.deps.decrypt(enc), this.deps.env ?? process.env));
      if (keys.length === 0) throw new Error("it holds no AGE-SECRET-KEY line");
      return keys;
    } catch (err) {
      throw new DrillError(`the drill identity cannot be used: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Age recipients and no drill identity: every stored part fetched and hashed (verify), then the
   * age header of the payload parsed and its X25519 stanzas matched against the recipients the
   * run was encrypted to. The payload itself cannot be opened by the server, and the report says so.
   */
  private async partialProof(run: RunRow, report: DrillReport, signal?: AbortSignal): Promise<void> {
    report.level = "partial";
    const started = Date.now();
    const verified = await this.deps.restorer.verify(run.id, signal);
    report.restoreMs = Date.now() - started;
    if (!verified.restorable) {
      report.differences = verified.problems.slice(0, MAX_DIFFERENCES);
      return;
    }
    const stanzas = ageStanzas(await this.payloadHead(run, signal));
    const recipients = ((run.manifest?.encryption as { recipients?: string[] } | undefined)?.recipients ?? []).length;
    report.recipients = recipients;
    const x25519 = stanzas.filter((s) => s === "X25519").length;
    if (recipients > 0 && x25519 !== recipients) {
      report.differences = [`the age header holds ${x25519} X25519 stanza(s) for ${recipients} recipient(s)`];
      return;
    }
    report.status = "passed";
  }

  /** The first bytes of part 1, from the first destination that hands it back. */
  private async payloadHead(run: RunRow, signal?: AbortSignal): Promise<Buffer> {
    const first = this.deps.runs.liveParts(run.id).filter((p) => p.partIndex === 1 && p.destinationId != null);
    for (const part of first) {
      const config = await this.deps.destinationConfig(part.destinationId!);
      if (!config) continue;
      const stream = await this.deps.makeDestination(config).fetch(locationOf(part), signal);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of stream) {
        chunks.push(c as Buffer);
        size += (c as Buffer).length;
        if (size >= HEADER_BYTES) break;
      }
      stream.destroy();
      return Buffer.concat(chunks);
    }
    throw new DrillError(`run ${run.id}: no copy of part 1 left to read the age header from`);
  }

  /** Fetch, hash, decrypt, restore into the throw-away target, count, compare. */
  private async fullDrill(run: RunRow, source: SourceConfig, scratch: string | null, identities: string[] | undefined, report: DrillReport, signal?: AbortSignal): Promise<void> {
    const recorded = run.inventory ?? ((run.manifest?.inventory as RunInventory | undefined) ?? null);
    let restored: RunInventory;
    let started: number;
    if (scratch && isDbSource(source)) {
      const target = { ...source, database: scratch } as DbSource;
      started = Date.now();
      await this.deps.restorer.restore(run.id, { kind: "source", name: scratch, config: target, into: { mode: "new", from: source.database } }, { identities, signal });
      report.restoreMs = Date.now() - started;
      restored = { kind: "rows", tables: await countTables(target, signal) };
    } else {
      const dir = path.join(this.deps.spoolDir, `restore-${run.id}-${ownerTag()}-drill-${Date.now()}`);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      try {
        if (run.sourceKind === "directory") {
          const into = path.join(dir, "tree");
          await mkdir(into);
          started = Date.now();
          await this.deps.restorer.restore(run.id, { kind: "source", name: "drill", config: { kind: "directory", path: into } }, { identities, signal });
          report.restoreMs = Date.now() - started;
          restored = await countFiles(into);
        } else {
          const file = path.join(dir, "payload");
          started = Date.now();
          await this.deps.restorer.restore(run.id, { kind: "file", path: file }, { identities, signal });
          report.restoreMs = Date.now() - started;
          if (run.sourceKind === "sqlite") restored = await sqliteInventory(file, signal ?? new AbortController().signal);
          else if (run.format === "tar") restored = await tarFileInventory(file);
          else restored = { kind: "rows" };
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    if (restored.kind === "rows" && restored.tables) report.tables = Object.keys(restored.tables).length;
    if (restored.kind === "files") report.files = restored.files ?? 0;
    if (!recorded) report.uncounted = true;
    else report.differences = compareInventory(recorded, restored);
    report.status = report.differences.length === 0 ? "passed" : "failed";
  }

  private async dropDrill(source: DbSource, scratch: string, log: Logger): Promise<void> {
    try {
      for (const name of await listDrillDatabases(source)) if (drillOf(name) === scratch) await dropDatabase(source, name);
    } catch (err) {
      log.warn({ database: scratch, err: oneLine(err, 500) }, "could not drop the drill's scratch database; start-up recovery drops it");
    }
  }

  private lastTick: Date | null = null;
  private ticking = false;

  /**
   * Scheduled drills, called on every scheduler tick (src/daemon.ts): runs, one after another,
   * the drills of enabled jobs whose drill schedule (cron, or `weekly` = Sunday 04:00) fired since
   * the previous tick. A tick that finds drills still running skips (they catch up on the next
   * one: the window starts at the last tick that looked). Never throws.
   */
  async tick(now: Date): Promise<void> {
    if (this.ticking) return;
    const from = this.lastTick ?? now;
    this.ticking = true;
    this.lastTick = now;
    try {
      for (const job of this.deps.listJobs?.() ?? []) {
        if (!job.enabled || !job.drill.schedule) continue;
        let due: Date | null;
        try {
          const cron = new CronSchedule(job.drill.schedule === "weekly" ? WEEKLY_DRILL : job.drill.schedule, job.timezone ?? this.deps.defaultTimezone ?? "UTC");
          due = cron.firstBetween(from, now);
        } catch (err) {
          this.deps.log.warn({ job: job.name, err: oneLine(err, 500) }, "the job's drill schedule cannot be used");
          continue;
        }
        if (!due) continue;
        await this.drill(job.id, "schedule").catch((err: unknown) => this.deps.log.warn({ job: job.name, err: oneLine(err, 500) }, "scheduled drill did not run"));
      }
    } finally {
      this.ticking = false;
    }
  }

  /**
   * Start-up recovery: drills whose process died become `interrupted`, and the drill databases on
   * their servers that no live drill owns are dropped. Returns the names dropped.
   */
  async recover(): Promise<string[]> {
    const alive = this.deps.isAlive ?? isOwnerAlive;
    const running = this.deps.drills.listRunning();
    const live = new Set(running.filter((d) => alive(d.owner) && d.scratch).map((d) => d.scratch!));
    const dropped: string[] = [];
    const servers = new Set<number>();
    for (const d of running) {
      if (alive(d.owner)) continue;
      this.deps.drills.update(d.id, { status: "interrupted", finishedAt: this.now(), error: "interrupted: the process stopped before the drill finished" });
      if (d.scratch && d.sourceId != null) servers.add(d.sourceId);
    }
    for (const sourceId of servers) {
      try {
        const { config } = await this.deps.sources.resolve(sourceId);
        if (!isDbSource(config)) continue;
        for (const name of await listDrillDatabases(config)) {
          const owner = drillOf(name);
          if (!owner || live.has(owner)) continue;
          await dropDatabase(config, name);
          dropped.push(name);
        }
      } catch (err) {
        this.deps.log.warn({ source: sourceId, err: oneLine(err, 500) }, "could not drop the scratch databases of interrupted drills");
      }
    }
    if (dropped.length > 0) this.deps.log.info({ databases: dropped }, "dropped scratch databases of interrupted drills");
    return dropped;
  }
}
