import { createHash } from "node:crypto";
import { open, rm, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { SpoolError } from "../errors.js";

/** A finished part file in the spool. */
export interface SpooledPart {
  /** 1-based. */
  index: number;
  name: string;
  file: string;
  size: number;
  sha256: string;
  /** True for the payload's final part (known once the input ended). */
  last: boolean;
}

export interface SplitResult {
  size: number;
  sha256: string;
  parts: number;
}

export interface SplitOptions {
  dir: string;
  /** Payload file name; parts are `<baseName>.001`, `.002`, ... (`cat name.* > name` rebuilds it). */
  baseName: string;
  partSize: number;
  /**
   * Delivers a finished part. The splitter deletes the part file after it resolves. At most
   * one delivery runs at a time while the next part is being written, so the spool never holds
   * more than two parts.
   */
  deliver: (part: SpooledPart) => Promise<void>;
  onPartWritten?: (part: SpooledPart) => void;
  /** The payload's bytes taken so far, after every chunk. */
  onBytes?: (total: number) => void;
}

/**
 * Chunks are gathered up to this many bytes and written with one `writev`: a 64 KiB chunk a
 * write costs a thread-pool round trip each (here one per 256 KiB; more held buffers would show in RSS).
 */
const WRITE_BATCH = 256 * 1024;
/** Within IOV_MAX (1024 on Linux): a stream of small chunks is written in batches of this many. */
const MAX_BATCH_CHUNKS = 512;

export function partName(baseName: string, index: number): string {
  return `${baseName}.${String(index).padStart(3, "0")}`;
}

/**
 * The pipeline's sink: hashes the payload and cuts it into part files of at most `partSize`
 * bytes, handing each finished part to `deliver` while the next one is written.
 * Every file it creates is removed before it returns or throws.
 */
export function splitter(options: SplitOptions, result: (r: SplitResult) => void) {
  return async (source: AsyncIterable<Uint8Array>): Promise<void> => {
    const whole = createHash("sha256");
    let total = 0;
    let index = 0;
    let current: { handle: FileHandle; file: string; hash: ReturnType<typeof createHash>; size: number; queued: Uint8Array[]; queuedBytes: number } | null = null;
    let pending: Promise<void> | null = null;
    const created = new Set<string>();

    const openPart = async () => {
      index += 1;
      const file = path.join(options.dir, partName(options.baseName, index));
      created.add(file);
      current = { handle: await spoolOp(file, () => open(file, "wx")), file, hash: createHash("sha256"), size: 0, queued: [], queuedBytes: 0 };
    };

    /** Writes what the current part has gathered. */
    const flush = async () => {
      const c = current!;
      if (c.queuedBytes === 0) return;
      const batch = c.queued;
      c.queued = [];
      c.queuedBytes = 0;
      await spoolOp(c.file, () => writeAll(c.handle, batch));
    };

    const closePart = async (last: boolean) => {
      await flush();
      const c = current!;
      current = null;
      // No fsync: a spooled part only has to live until it is delivered; after a crash the
      // spool is discarded anyway. Destinations make what they store durable.
      await spoolOp(c.file, () => c.handle.close());
      const part: SpooledPart = { index, name: path.basename(c.file), file: c.file, size: c.size, sha256: c.hash.digest("hex"), last };
      options.onPartWritten?.(part);
      if (pending) await pending; // never more than one part waiting besides the one just written
      pending = options.deliver(part).then(async () => {
        await rm(part.file, { force: true });
        created.delete(part.file);
      });
      // An unobserved rejection would crash the process before we await it below.
      pending.catch(() => {});
    };

    try {
      for await (const chunk of source) {
        let buf = chunk;
        whole.update(buf);
        total += buf.length;
        options.onBytes?.(total);
        while (buf.length > 0) {
          if (!current) await openPart();
          const c = current!;
          const room = options.partSize - c.size;
          const slice = buf.length <= room ? buf : buf.subarray(0, room);
          c.hash.update(slice);
          c.size += slice.length;
          c.queued.push(slice);
          c.queuedBytes += slice.length;
          if (c.queuedBytes >= WRITE_BATCH || c.queued.length >= MAX_BATCH_CHUNKS) await flush();
          buf = buf.subarray(slice.length);
          // A full part is closed only once more data arrives, so the last part is known as last.
          if (c.size === options.partSize && buf.length > 0) await closePart(false);
        }
      }
      if (!current && index === 0) await openPart(); // an empty payload is still one (empty) part
      if (current) await closePart(true);
      if (pending) await pending;
      result({ size: total, sha256: whole.digest("hex"), parts: index });
    } finally {
      const c = current as { handle: FileHandle } | null;
      if (c) await c.handle.close().catch(() => {});
      await (pending as Promise<void> | null)?.catch(() => {});
      await Promise.all([...created].map((f) => rm(f, { force: true })));
    }
  };
}

/** Writes every byte of `chunks` (upstream stages never reuse a buffer they passed on). */
async function writeAll(handle: FileHandle, chunks: Uint8Array[]): Promise<void> {
  let rest = chunks;
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest);
    // A short write: drop what was written, keep the remainder of a chunk cut in the middle.
    let i = 0;
    while (i < rest.length && bytesWritten >= rest[i]!.length) bytesWritten -= rest[i++]!.length;
    rest = rest.slice(i);
    if (bytesWritten > 0) rest[0] = rest[0]!.subarray(bytesWritten);
  }
}

/** Turns a file-system failure in the spool into a SpoolError a user can act on. */
async function spoolOp<T>(file: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === "ENOSPC" || e.code === "EDQUOT" ? "no space left on device" : e.message;
    throw new SpoolError(`${reason} while writing ${path.basename(file)} in ${path.dirname(file)}`, { cause: err });
  }
}
