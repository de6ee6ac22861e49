import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { JobHooks, NotifyRoutes } from "../domain.js";
import type { TranslatableParam } from "../shared/translatable.js";

/**
 * Configuration and run history. Secrets never live in these tables in plaintext:
 * every `*Enc` column holds NaCl secretbox (XSalsa20-Poly1305) ciphertext (see src/crypto/secret-box.ts).
 */

const timestamps = {
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(sql`(unixepoch() * 1000)`),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull().default(sql`(unixepoch() * 1000)`),
};

/** Key/value settings: master-key check, scheduler heartbeat, per-user language, ... */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

export const sources = sqliteTable("sources", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  kind: text("kind", { enum: ["postgres", "mysql", "sqlite", "volume", "directory", "redis"] }).notNull(),
  /** Non-secret settings as JSON (host, port, database, user, path, volume, ...). */
  settings: text("settings", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
  /** Password (or `env:`/`file:` reference), secretbox ciphertext. */
  passwordEnc: text("password_enc"),
  ...timestamps,
});

export const destinations = sqliteTable("destinations", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  kind: text("kind", { enum: ["telegram", "local", "s3"] }).notNull(),
  settings: text("settings", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
  /** Optional per-destination bot token, secretbox ciphertext. */
  tokenEnc: text("token_enc"),
  ...timestamps,
});

export const jobs = sqliteTable("jobs", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  sourceId: integer("source_id").notNull().references(() => sources.id, { onDelete: "restrict" }),
  schedule: text("schedule").notNull(),
  timezone: text("timezone"),
  format: text("format", { enum: ["sql", "custom", "tar", "rdb"] }).notNull(),
  compression: text("compression", { enum: ["gzip", "zstd", "none"] }).notNull(),
  /** age recipients (public keys), JSON array; empty when not encrypting to recipients. */
  recipients: text("recipients", { mode: "json" }).notNull().$type<string[]>().default(sql`'[]'`),
  /** age passphrase (or reference), secretbox ciphertext. */
  passphraseEnc: text("passphrase_enc"),
  partSize: integer("part_size").notNull(),
  retention: text("retention", { mode: "json" }).notNull().$type<Record<string, number>>().default(sql`'{}'`),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  /** Where success and failure messages go, when not to the job's destination chats: `{ success?: ChatRoute, failure?: ChatRoute }`. */
  notify: text("notify", { mode: "json" }).$type<NotifyRoutes>().notNull().default(sql`'{}'`),
  /**
   * Secrets a job adopted from a chat's catalog (`tele-backup adopt`) came without: `password`
   * (its source's) and/or `passphrase`. The job cannot be enabled while one is still unset.
   */
  missingSecrets: text("missing_secrets", { mode: "json" }).$type<Array<"password" | "passphrase">>().notNull().default(sql`'[]'`),
  /** Restore drills: `{ schedule?: cron | "weekly" }` (absent = no scheduled drill); see src/application/drill.ts. */
  drill: text("drill", { mode: "json" }).$type<{ schedule?: string }>().notNull().default(sql`'{}'`),
  /** The age identity (or its `env:`/`file:` reference) used by drills only, secretbox ciphertext. */
  drillIdentityEnc: text("drill_identity_enc"),
  /** Anomaly thresholds overriding the defaults (src/engine/anomaly.ts). */
  anomaly: text("anomaly", { mode: "json" }).$type<Record<string, number>>().notNull().default(sql`'{}'`),
  /** Commands run around the backup: `{ before?, after?, on_failure? }` (src/application/hooks.ts). */
  hooks: text("hooks", { mode: "json" }).$type<JobHooks>().notNull().default(sql`'{}'`),
  /** healthchecks.io-style ping URL (or its `env:`/`file:` reference), secretbox ciphertext. */
  pingEnc: text("ping_enc"),
  /** URL (or reference) that receives each run's result as JSON, secretbox ciphertext. */
  webhookEnc: text("webhook_enc"),
  ...timestamps,
});

export const jobDestinations = sqliteTable(
  "job_destinations",
  {
    jobId: integer("job_id").notNull().references(() => jobs.id, { onDelete: "cascade" }),
    destinationId: integer("destination_id").notNull().references(() => destinations.id, { onDelete: "restrict" }),
    position: integer("position").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.destinationId] })],
);

export const runs = sqliteTable(
  "runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    jobId: integer("job_id").references(() => jobs.id, { onDelete: "set null" }),
    /** Kept so history stays readable after a job is deleted or renamed. */
    jobName: text("job_name").notNull(),
    sourceKind: text("source_kind").notNull(),
    trigger: text("trigger", { enum: ["schedule", "manual", "cli", "startup"] }).notNull(),
    /** `cancelled`: stopped on purpose (the bot's ⏹ Stop); what it delivered was removed. No CHECK constraint: no migration. */
    status: text("status", { enum: ["running", "success", "failed", "interrupted", "cancelled"] }).notNull(),
    phase: text("phase"),
    startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
    finishedAt: integer("finished_at", { mode: "timestamp_ms" }),
    /** Payload file name without the part suffix, e.g. `app_20260101-030000.sql.gz.age`. */
    fileName: text("file_name"),
    /** Bytes the source produced before compression/encryption. */
    rawSize: integer("raw_size"),
    /** Bytes of the payload (what `cat parts` rebuilds). */
    payloadSize: integer("payload_size"),
    sha256: text("sha256"),
    partCount: integer("part_count"),
    encryption: text("encryption", { enum: ["none", "recipients", "passphrase"] }).notNull().default("none"),
    compression: text("compression").notNull().default("none"),
    format: text("format"),
    verifiedAt: integer("verified_at", { mode: "timestamp_ms" }),
    /**
     * Set when retention pruned this run. Parts it could delete are marked deleted; parts whose
     * deletion the destination refused (Telegram's 48-hour rule) stay recorded with no deleted-at.
     */
    expiredAt: integer("expired_at", { mode: "timestamp_ms" }),
    /**
     * Set by retention just before it deletes the run's parts, and left set until it has expired the
     * run: a run whose pruning was cut short (a kill, an error) is on its way out, and the watchdog
     * does not report its copies lost (src/application/pruner.ts). Cleared when retention keeps it after all.
     */
    expiringAt: integer("expiring_at", { mode: "timestamp_ms" }),
    manifest: text("manifest", { mode: "json" }).$type<Record<string, unknown>>(),
    /** English text of a failed run, for logs and older readers. */
    error: text("error"),
    /**
     * The same failure as a locale key (`locales/<lang>/errors.ftl`) and its parameters (JSON,
     * a parameter may itself be a `{key, params}`), so each reader sees it in their language.
     * Null for successful runs and for runs failed before keys were stored.
     */
    errorKey: text("error_key"),
    errorParams: text("error_params", { mode: "json" }).$type<Record<string, TranslatableParam>>(),
    /**
     * The age passphrase this run was encrypted with, exactly as its job stored it then
     * (secretbox ciphertext of the literal or of its `env:`/`file:` reference), so changing
     * the job's passphrase leaves older runs restorable. Null when not passphrase-encrypted,
     * and for runs made before this column existed (their job's current one is tried).
     */
    passphraseEnc: text("passphrase_enc"),
    /**
     * The process running this run (src/shared/process-owner.ts): start-up recovery takes over
     * a `running` run only when its owner is gone. Null for runs made before owners were recorded.
     */
    owner: text("owner"),
    /** The chat message showing this run's progress ("Run now" in the bot), finalized by recovery after a crash. */
    progressChatId: integer("progress_chat_id"),
    progressMessageId: integer("progress_message_id"),
    /**
     * The installation that made this run (settings `installation.id`, src/engine/installation.ts).
     * Retention and catalogs only touch runs of their own installation; a run adopted from
     * another installation keeps that one's id until it is taken over. Null: made here before
     * installation ids existed (this installation's).
     */
    installationId: text("installation_id"),
    /** What the dump held, counted as it streamed by (src/engine/inventory.ts); null when unknown. */
    inventory: text("inventory", { mode: "json" }).$type<RunInventory>(),
    /** Why a successful run looks wrong (src/engine/anomaly.ts), English lines; null when it does not. */
    anomalies: text("anomalies", { mode: "json" }).$type<Array<{ key: string; params: Record<string, string | number> }>>(),
    /**
     * The `on_failure` and `after` hooks this run owes, recorded before its `before` hooks run and
     * cleared once it has run them: a process killed in between leaves them here, and start-up
     * recovery runs them (an app put into maintenance mode by a `before` hook is brought back).
     */
    pendingHooks: text("pending_hooks", { mode: "json" }).$type<Pick<JobHooks, "after" | "on_failure">>(),
  },
  (t) => [index("runs_job_started").on(t.jobId, t.startedAt)],
);

/** Restore drills (src/application/drill.ts): one row per drill, recorded while it runs so recovery can drop its scratch database. */
export const drills = sqliteTable(
  "drills",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    jobId: integer("job_id").references(() => jobs.id, { onDelete: "set null" }),
    jobName: text("job_name").notNull(),
    runId: integer("run_id"),
    trigger: text("trigger", { enum: ["schedule", "manual", "cli"] }).notNull(),
    status: text("status", { enum: ["running", "passed", "failed", "interrupted"] }).notNull(),
    /** `full`: restored and compared; `partial`: proven up to decryption (age recipients, no drill identity). */
    level: text("level", { enum: ["full", "partial"] }),
    owner: text("owner").notNull(),
    /** The source whose server holds the scratch database (databases only). */
    sourceId: integer("source_id"),
    /** The scratch database or temporary path the drill restores into; dropped when it ends, or by recovery. */
    scratch: text("scratch"),
    startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
    finishedAt: integer("finished_at", { mode: "timestamp_ms" }),
    durationMs: integer("duration_ms"),
    /** How long the restore step took: the time a real restore would take. */
    restoreMs: integer("restore_ms"),
    tables: integer("tables"),
    /** English lines: the first differences found (or what could not be proven). */
    differences: text("differences", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    error: text("error"),
  },
  (t) => [index("drills_job").on(t.jobId, t.id)],
);

/**
 * Containers a backup stopped (label `tele-backup.stop-during-backup=true`), recorded before
 * they are stopped and forgotten once they run again: when the run's owner dies in between,
 * start-up recovery starts them.
 */
export const stoppedContainers = sqliteTable("stopped_containers", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  runId: integer("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
  containerId: text("container_id").notNull(),
  name: text("name").notNull(),
  stoppedAt: integer("stopped_at", { mode: "timestamp_ms" }).notNull(),
});

/**
 * Restores (bot and CLI), recorded while they run so that recovery can finish one whose
 * process died: remove its temporary files (decrypted output included), finalize its progress
 * message and tell the admins.
 */
export const restores = sqliteTable("restores", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  runId: integer("run_id").notNull(),
  /** What is restored into: a source's name or a file name. */
  target: text("target").notNull(),
  via: text("via", { enum: ["bot", "cli"] }).notNull(),
  /** The target's source kind, or `file`. */
  kind: text("kind").notNull(),
  status: text("status", { enum: ["running", "success", "failed", "interrupted"] }).notNull(),
  owner: text("owner").notNull(),
  startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
  finishedAt: integer("finished_at", { mode: "timestamp_ms" }),
  /** Files and folders that hold (possibly decrypted) output until the restore ends; removed if it never does. */
  scratch: text("scratch", { mode: "json" }).notNull().$type<string[]>().default(sql`'[]'`),
  progressChatId: integer("progress_chat_id"),
  progressMessageId: integer("progress_message_id"),
  error: text("error"),
});

export const runParts = sqliteTable(
  "run_parts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: integer("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
    destinationId: integer("destination_id").references(() => destinations.id, { onDelete: "set null" }),
    /** 1-based part number; 0 is the manifest. */
    partIndex: integer("part_index").notNull(),
    name: text("name").notNull(),
    size: integer("size").notNull(),
    sha256: text("sha256").notNull(),
    /** Where the destination put it: a file path, or a Telegram chat id. */
    locator: text("locator"),
    messageId: integer("message_id"),
    fileId: text("file_id"),
    storedAt: integer("stored_at", { mode: "timestamp_ms" }).notNull(),
    deletedAt: integer("deleted_at", { mode: "timestamp_ms" }),
    /** 0: the copy the run delivered; 1: its copy in the destination's mirror chat (`locator` names that chat). */
    copy: integer("copy").notNull().default(0),
    /** When the channel watchdog (src/application/watchdog.ts) last found this copy intact; null: never re-checked. */
    checkedAt: integer("checked_at", { mode: "timestamp_ms" }),
    /** When the watchdog found this copy gone or different (set once: the admins are alerted once); null: not lost. */
    lostAt: integer("lost_at", { mode: "timestamp_ms" }),
    /** Why it is lost: `missing` (the message or file is gone) or `corrupt` (the bytes differ). */
    lostReason: text("lost_reason", { enum: ["missing", "corrupt"] }),
  },
  (t) => [uniqueIndex("run_parts_unique").on(t.runId, t.destinationId, t.partIndex, t.copy)],
);

export type SourceRow = typeof sources.$inferSelect;
export type DestinationRow = typeof destinations.$inferSelect;
export type JobRow = typeof jobs.$inferSelect;
export type RunRow = typeof runs.$inferSelect;
export type DrillRow = typeof drills.$inferSelect;
/** Per-table row counts (databases) or file count and bytes (archives), recorded at dump time. */
export interface RunInventory {
  /** `rows`: tables counted from the dump stream. `files`: tar members. */
  kind: "rows" | "files";
  tables?: Record<string, number>;
  files?: number;
  bytes?: number;
}
export type RunPartRow = typeof runParts.$inferSelect;
export type StoppedContainerRow = typeof stoppedContainers.$inferSelect;
export type RestoreRow = typeof restores.$inferSelect;

/** Bot session and conversation state (grammY storage adapter), so a restart keeps half-finished dialogs. */
export const botStorage = sqliteTable("bot_storage", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull().default(sql`(unixepoch() * 1000)`),
});

/**
 * An alert episode: a job failing for the same reason again and again. Its first failure alerts
 * loudly; repeats edit the message sent to each chat (`messages`: chat key → message id) instead of
 * sending new ones; a success closes it with one recovery message (src/notify/alert-episodes.ts).
 */
export const alertEpisodes = sqliteTable("alert_episodes", {
  jobId: integer("job_id").primaryKey().references(() => jobs.id, { onDelete: "cascade" }),
  reasonKey: text("reason_key").notNull(),
  startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
  count: integer("count").notNull(),
  messages: text("messages", { mode: "json" }).$type<Record<string, number>>().notNull().default(sql`'{}'`),
});
export type AlertEpisodeRow = typeof alertEpisodes.$inferSelect;

/**
 * Open alert episodes of mirror chats, one per job and destination whose mirror copy keeps
 * failing: repeats edit one message, and the next good copy says it recovered.
 */
export const mirrorAlertEpisodes = sqliteTable(
  "mirror_alert_episodes",
  {
    jobId: integer("job_id").notNull().references(() => jobs.id, { onDelete: "cascade" }),
    destinationId: integer("destination_id").notNull().references(() => destinations.id, { onDelete: "cascade" }),
    reasonKey: text("reason_key").notNull(),
    startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
    count: integer("count").notNull(),
    messages: text("messages", { mode: "json" }).$type<Record<string, number>>().notNull().default(sql`'{}'`),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.destinationId] })],
);
