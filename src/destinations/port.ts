import type { Readable } from "node:stream";
import type { TranslatableParam } from "../shared/translatable.js";

export type DestinationKind = "telegram" | "local" | "s3";
export const DESTINATION_KINDS: readonly DestinationKind[] = ["telegram", "local", "s3"];

/** A failure to store, read or delete. `permanent` failures are not retried. */
export class DestinationError extends Error {
  override name = "DestinationError";
  readonly permanent: boolean;
  /** A locale key (`locales/<lang>/errors.ftl`) and its params, so the bot can say it in the user's language. */
  readonly key?: string;
  readonly params?: Record<string, TranslatableParam>;
  constructor(message: string, options: { permanent: boolean; cause?: unknown; key?: string; params?: Record<string, TranslatableParam> }) {
    super(message, { cause: options.cause });
    this.permanent = options.permanent;
    this.key = options.key;
    this.params = options.params;
  }
}

/**
 * `confirmStore` found a place that is not the one the destination's backups went to (a folder
 * whose disk is not mounted): nothing may be written there, and the copies recorded there are
 * out of reach, not lost.
 */
export class StoreMissingError extends DestinationError {
  override name = "StoreMissingError";
  constructor(
    message: string,
    readonly path: string,
    options: { key: string; params: Record<string, TranslatableParam> },
  ) {
    super(message, { permanent: true, ...options });
  }
}

/** What the runner knows about one part when it hands it over. */
export interface PartInfo {
  /** 1-based part number; 0 for the manifest. */
  index: number;
  /** Total number of parts, when known (it is not known until the payload has ended). */
  total?: number;
  name: string;
  size: number;
  sha256: string;
  /** For the manifest (index 0): the one-line manual restore recipe, for its caption. */
  recipe?: string;
}

/** How many of the newest recorded copies `confirmStore` is given: one found is enough. */
export const RECORDED_COPIES_TO_CONFIRM = 3;

/** A copy an earlier run stored, by the names the destination stored it under. */
export interface RecordedCopy {
  jobName: string;
  /** The part's (or manifest's) file name. */
  name: string;
  /** Where it was stored (StoredLocation.locator): a destination whose settings changed since stored it elsewhere. */
  locator: string | null;
}

/** Where a destination put a part: enough to fetch or delete it again. */
export interface StoredLocation {
  /** A file path (local), a chat id (telegram) or an object key (s3). */
  locator: string;
  messageId?: number;
  fileId?: string;
  /** When it was stored; lets a destination know what its backend will refuse to delete. */
  storedAt?: Date;
}

export interface RunLabel {
  runId: number;
  jobName: string;
}

/**
 * A place backups are delivered to.
 * - `putPart` reads `file` from disk. It may be called again for the same part after it
 *   threw (a retry re-reads the file; the destination must not leave a duplicate behind
 *   a failed attempt that it can detect). It resolves only when the part is durably stored.
 * - Errors are `DestinationError`; `permanent: true` means retrying cannot help
 *   (no permission, chat not found, too large).
 * - `putPart` of a part that was stored before: local replaces it (one copy, same location);
 *   Telegram posts it again (a second message, its own location; deleting one leaves the
 *   other readable). The runner records every location it gets back, so neither is lost track of.
 * - `fetch` returns a stream the caller must consume or destroy.
 * - `delete` never throws for a part that is already gone; it reports the parts the
 *   backend refused to delete (e.g. Telegram's 48-hour rule) instead of failing. A failure
 *   that may pass (network, 5xx) throws a `DestinationError` with `permanent: false`, so the
 *   caller tries again later; it is never reported as refused.
 * - An aborted `signal` stops `putPart`, `fetch` and `delete`: they reject, and an aborted
 *   `putPart` leaves no part (and no temporary file) behind.
 * - `maxPartSize` is checked by `putPart` itself (a permanent `DestinationError` before
 *   anything is sent); `maxFetchSize` is the backend's own limit, reported by `fetch` as a
 *   permanent `DestinationError`.
 *
 * test/destinations/contract.ts holds these rules as one suite run against every destination.
 */
export interface Destination {
  readonly kind: DestinationKind;
  readonly name: string;
  /** Checks the destination is reachable and writable (writes and removes a probe). */
  check(signal?: AbortSignal): Promise<void>;
  putPart(run: RunLabel, part: PartInfo, file: string, signal: AbortSignal): Promise<StoredLocation>;
  /**
   * Loads what storing the first part needs (a client library), called as a run's dump starts,
   * while the source has nothing to read yet: done later, in the middle of the dump, it stalls
   * the pipeline. Never throws: whatever fails here fails again, and is reported, in `putPart`.
   */
  prepare?(): void;
  fetch(location: StoredLocation, signal?: AbortSignal): Promise<Readable>;
  delete(locations: StoredLocation[], signal?: AbortSignal): Promise<{ refused: StoredLocation[] }>;
  /**
   * Present when the destination names a mirror chat: copies stored parts there (same order as
   * given) and returns where each copy is, read back far enough to be fetched on its own.
   */
  mirror?(run: RunLabel, copies: Array<{ name: string; location: StoredLocation }>, signal: AbortSignal): Promise<StoredLocation[]>;
  /**
   * Whether the stored message still exists (Telegram: a deleted message's file_id may still
   * download, so `fetch` alone cannot tell). false: gone; undefined: cannot tell (not this
   * bot's message). Throws a `DestinationError` when the backend cannot be asked now.
   */
  exists?(location: StoredLocation, signal?: AbortSignal): Promise<boolean | undefined>;
  /**
   * Present when a killed process can leave an upload begun and never finished at the
   * destination (an S3 multipart upload, whose chunks are stored and billed until aborted; a
   * folder's temp file): discards those of the run's parts (`<fileName>.NNN`, and its manifest
   * where that is written the same way) and returns where they were. Recovery calls
   * it only for runs whose process is gone. Throws a `DestinationError` when the backend cannot
   * be asked.
   */
  discardUnfinished?(run: RunLabel, fileName: string, signal?: AbortSignal): Promise<string[]>;
  /**
   * Present when the destination can be silently replaced by an empty place: a folder whose
   * disk is not mounted is a folder all the same (Docker bind-mounts the empty mountpoint), and
   * what is written there lands on another disk, hidden again once the disk comes back.
   * Called before a run writes anything, with the newest copies recorded there before (none for
   * a new destination): confirms the place is the one they went to, and marks it as such.
   * Throws `StoreMissingError` when it holds neither its mark nor any of them.
   */
  confirmStore?(recorded: RecordedCopy[], signal?: AbortSignal): Promise<void>;
  /** A local file path to read a stored part directly, when the destination has one. */
  localPath?(location: StoredLocation): string | undefined;
  /**
   * The sha256 and size of a stored part read in place, when the destination can do that more
   * cheaply than `fetch` (a folder: one reused buffer, no stream). Fails as `fetch` would;
   * `onRead` is called after every read.
   */
  hashPart?(location: StoredLocation, signal?: AbortSignal, onRead?: () => void): Promise<{ sha256: string; size: number }>;
  /** The largest part it accepts (checked before a run starts); undefined = no limit. */
  readonly maxPartSize?: number;
  /** The largest part it can hand back through `fetch`; larger parts cannot be read back. */
  readonly maxFetchSize?: number;
}

export type DestinationConfig =
  | { kind: "local"; name: string; path: string }
  | {
      kind: "telegram";
      name: string;
      chatId: string;
      threadId?: number;
      botToken?: string;
      mirrorChatId?: string;
      mirrorThreadId?: number;
      /** Language of the posts in this chat (a locale folder name); the app's default when absent. */
      language?: string;
    }
  | {
      kind: "s3";
      name: string;
      endpoint: string;
      region: string;
      bucket: string;
      prefix?: string;
      pathStyle: boolean;
      accessKeyId: string;
      secretAccessKey: string;
      storageClass?: string;
      serverSideEncryption?: string;
    };
