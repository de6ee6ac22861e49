import type { Readable } from "node:stream";
import type Docker from "dockerode";
import type { Logger } from "../logger.js";

export type SourceKind = "postgres" | "mysql" | "sqlite" | "volume" | "directory";
export const SOURCE_KINDS: readonly SourceKind[] = ["postgres", "mysql", "sqlite", "volume", "directory"];

/** pg: `sql` (plain) or `custom` (pg_dump -Fc); mysql and sqlite: `sql`; volume and directory: `tar`. */
export type DumpFormat = "sql" | "custom" | "tar";

export interface DbConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  /** Already resolved (never an `env:`/`file:` reference here). Empty string = no password. */
  password: string;
}

export type SourceConfig =
  | ({ kind: "postgres" } & DbConnection)
  | ({ kind: "mysql" } & DbConnection)
  | { kind: "sqlite"; path: string }
  | { kind: "volume"; volume: string }
  | { kind: "directory"; path: string };

/** Thrown for every failure a user must read: message is one readable line, secrets already removed. */
export class SourceError extends Error {
  override name = "SourceError";
  constructor(
    message: string,
    readonly kind: SourceKind,
    options?: { cause?: unknown },
  ) {
    super(message, options);
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
}

export interface RestoreOptions {
  format: DumpFormat;
  signal: AbortSignal;
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
   * `config`. Reads `input` to its end. Throws SourceError; what it wrote before failing is
   * the caller's to report (restores go into fresh targets).
   */
  restore(config: SourceConfig, input: Readable, options: RestoreOptions): Promise<void>;
}

export interface SourceDeps {
  log: Logger;
  /** Lazily connects to the Docker Engine (DOCKER_HOST or the local socket). */
  docker: () => Docker;
  /** Helper image for volume access; undefined = the image this tool runs from. */
  helperImage: string | undefined;
}
