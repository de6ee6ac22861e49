import type { Readable, Writable } from "node:stream";
import type Docker from "dockerode";
import type { Logger } from "../logger.js";
import type { TranslatableParam } from "../shared/translatable.js";

export type SourceKind = "postgres" | "mysql" | "sqlite" | "volume" | "directory" | "redis";
export const SOURCE_KINDS: readonly SourceKind[] = ["postgres", "mysql", "sqlite", "volume", "directory", "redis"];

/** pg: `sql` (plain) or `custom` (pg_dump -Fc); mysql and sqlite: `sql`; volume and directory: `tar`; redis: `rdb`. */
export type DumpFormat = "sql" | "custom" | "tar" | "rdb";

export interface DbConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  /** Already resolved (never an `env:`/`file:` reference here). Empty string = no password. */
  password: string;
}

export type SourceConfig =
  | ({ kind: "postgres" } & DbConnection & {
      /** Seconds pg_dump waits for a table another session holds locked before it fails (default LOCK_WAIT_DEFAULT_S). */
      lockWaitTimeout?: number;
    })
  | ({ kind: "mysql" } & DbConnection & {
      /**
       * Seconds the dump may go without output before it is stopped (default LOCK_WAIT_DEFAULT_S):
       * mariadb-dump has no lock wait of its own, and a table another session keeps locked holds
       * it silent for up to the server's lock_wait_timeout, a day by default.
       */
      lockWaitTimeout?: number;
    })
  | { kind: "sqlite"; path: string }
  | { kind: "volume"; volume: string }
  | { kind: "directory"; path: string; /** Patterns of entries left out (src/sources/exclude.ts). */ exclude?: string[] }
  /** A whole Redis server; `user` is an ACL user (absent = the default user); `password` resolved, "" = none. */
  | { kind: "redis"; host: string; port: number; user?: string; password: string };

/**
 * Thrown for every failure a user must read: message is one readable line (English, for logs and
 * the CLI), secrets already removed; `key` and `params`, when given, say it in the reader's language.
 */
export class SourceError extends Error {
  override name = "SourceError";
  readonly key?: string;
  readonly params?: Record<string, TranslatableParam>;
  constructor(
    message: string,
    readonly kind: SourceKind,
    options?: { cause?: unknown; key?: string; params?: Record<string, TranslatableParam> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.key) {
      this.key = options.key;
      this.params = options.params;
    }
  }
}

export interface SourceCheck {
  /** e.g. "PostgreSQL 15.20", "MariaDB 10.11.19", "SQLite 3.45" */
  serverVersion?: string;
}

export interface DumpOptions {
  format: DumpFormat;
  /** Aborting kills any child process / stops containers' backup and makes `done` reject. */
  signal: AbortSignal;
  /** Told about every container the dump stops (volumes), so a crash cannot leave one stopped for good. */
  containers?: ContainerLedger;
  /**
   * Where the dump may keep scratch files (an SQLite snapshot): the run's spool folder, which the
   * run removes and start-up recovery removes after a crash. Default os.tmpdir(), which nothing
   * cleans after a crash.
   */
  scratchDir?: string;
}

/**
 * Where a dump records the containers it stops. `stopping` is called (and must have stored the
 * container durably) before the container is stopped; `running` once it runs again, or when it
 * turned out not to need stopping. What stays recorded is started again by start-up recovery.
 */
export interface ContainerLedger {
  stopping(container: { id: string; name: string }): void;
  running(container: { id: string; name: string }): void;
}

/**
 * A running dump.
 * - The consumer reads `stream` to its end, or destroys it to give up.
 * - `done` settles only after the producer has finished *and cleaned up* (child exited,
 *   helper container removed, stopped containers restarted). It resolves after a clean
 *   finish and rejects with a `SourceError` (the tool's stderr tail, secrets redacted)
 *   otherwise — including when the consumer destroyed `stream` early. The consumer must
 *   always await it.
 */
export interface Dump {
  stream: Readable;
  done: Promise<void>;
  /** What the producer said about the server, for the manifest. */
  serverVersion?: string;
  /**
   * Entries that changed while they were read (a directory's file written to mid-read): their
   * copies may mix old and new content. Complete once `done` has settled.
   */
  changedWhileRead?: () => string[];
  /**
   * Where the payload already lies whole in a file (an SQLite snapshot): a consumer that can read
   * a file itself (zstd) calls this *instead of* reading `stream`, which must then never be used.
   * It must call `release` once it has read the file to its end, or with the reason it gave up;
   * the file stays until then, and `done` settles after it as after the stream's end (rejecting
   * when `release` got a reason, or `signal` aborted). Absent: read `stream`.
   */
  takeFile?: () => { path: string; size: number; release: (err?: unknown) => void };
  /**
   * Every table with its row count, counted by the source itself where the engine cannot count
   * the stream in passing (a SQLite snapshot); null when counting failed (the run records no
   * counts). Call once `done` has settled.
   */
  tables?: () => Promise<Record<string, number> | null>;
  /**
   * Where the producer is a child process that can write into another child's stdin itself
   * (GNU tar): a consumer that runs such a child (zstd) calls this with that child's stdin
   * *instead of* reading `stream`, and closes its own end afterwards. `done` settles as after
   * the stream's end; destroying `stream` (never read) still stops the producer. Absent: read `stream`.
   */
  pipeInto?: (stdin: Writable) => void;
  /** With `pipeInto`: the payload's size so far (an estimate while it runs), exact once `done` has resolved. */
  rawBytes?: () => number;
  /**
   * Regular files and their bytes, counted by the source itself (tar's listing of what it wrote)
   * whether `stream` was read or not: the consumer then counts nothing in passing. Null when the
   * dump failed. Call once `done` has settled.
   */
  files?: () => Promise<{ files: number; bytes: number } | null>;
}

/**
 * What a database restore does to its target (`config.database`):
 * - `replace`: the database exists; when the whole payload has loaded, its content is
 *   replaced by the backup's, in one step. Until then (and after any failure) it is untouched.
 * - `new`: the database does not exist yet; it appears, holding the whole backup, only when
 *   the load finished. `from` names an existing database on the same server: the new one
 *   copies its encoding/character set, and the driver connects through it when needed.
 * Kinds without databases (sqlite, volume, directory) ignore it: they restore only into an
 * empty target.
 */
export type RestoreInto = { mode: "replace" } | { mode: "new"; from: string };

export interface RestoreOptions {
  format: DumpFormat;
  signal: AbortSignal;
  /** Default `{ mode: "replace" }`. */
  into?: RestoreInto;
  /**
   * Where the restore may keep scratch files (Redis's snapshot for its scratch server): the
   * restore's staging folder (it exists), which the restore removes and start-up recovery
   * removes after a crash. Default os.tmpdir().
   */
  scratchDir?: string;
  /** This restore's own token, as `restoreScratch` got it (a volume the restore creates is labelled with it). */
  token?: string;
  /**
   * Whether a restore that is still running (its process alive) recorded scratch entry `entry`
   * (`restoreScratch`'s form). A driver that finds another restore's leftovers in its target
   * settles them when this says no; without it they are refused.
   */
  heldByLiveRestore?: (entry: string) => boolean;
  /**
   * The owner tokens of this installation's processes that are gone: a driver removes the helper
   * containers they left on its target before it restores into it.
   */
  deadOwners?: () => ReadonlySet<string>;
}

/** What `checkRestoreTarget` found. */
export interface RestoreTargetState {
  /** The target holds nothing of its own yet (a new database is always empty). */
  empty: boolean;
}

/**
 * One kind of source. Stateless: every call receives the resolved config.
 * Drivers never buffer a whole dump in memory.
 */
export interface SourceDriver {
  readonly kind: SourceKind;
  /** Formats this kind supports; the first is the default. */
  readonly formats: readonly DumpFormat[];
  /** File extension of the raw (uncompressed) payload for a format: `sql`, `dump`, `sqlite`, `tar`. */
  extension(format: DumpFormat): string;
  /** Connects (or stats the path / volume) and reports what it found; throws SourceError. */
  check(config: SourceConfig, signal?: AbortSignal): Promise<SourceCheck>;
  dump(config: SourceConfig, options: DumpOptions): Promise<Dump>;
  /**
   * Loads a raw payload (already decrypted and decompressed) into the target described by
   * `config`, reading `input` to its end.
   *
   * The caller ends `input` normally only after the whole payload arrived and its sha256
   * matched; any other outcome makes `input` error. Only a normal end may make the restore
   * take effect: after an input error, an abort, a failing client or statement, or the
   * death of this process, the target is exactly as it was before (all or nothing — see
   * each driver for its mechanism). Resolves after the client(s) exited and every scratch
   * resource was removed; throws SourceError whose message is the client's own error.
   */
  restore(config: SourceConfig, input: Readable, options: RestoreOptions): Promise<void>;
  /**
   * Optional: what a restore by this process into `config` makes outside the spool (an SQLite
   * restore writes the new database beside the old one; a volume restore may create the volume:
   * `volumeScratch`). The caller records them with the restore, so start-up recovery removes
   * them if this process dies before the restore ends. `token` is the restore's own, the one its
   * `restore` gets in RestoreOptions.
   */
  restoreScratch?(config: SourceConfig, token: string): string[];
  /**
   * Optional, for database kinds: looks at the target before anything is downloaded, so a
   * restore this driver cannot do safely is refused up front. Throws SourceError with the
   * reason (a `new` database that already exists; a `replace` target holding objects that
   * cannot be swapped atomically).
   */
  checkRestoreTarget?(config: SourceConfig, into: RestoreInto, signal?: AbortSignal): Promise<RestoreTargetState>;
}

export interface SourceDeps {
  log: Logger;
  /** Lazily connects to the Docker Engine (DOCKER_HOST or the local socket). */
  docker: () => Docker;
  /** Helper image for volume access; undefined = the image this tool runs from. */
  helperImage: string | undefined;
}
