import { constants } from "node:fs";
import { chmod, lchown, link, lstat, lutimes, mkdir, open, symlink, utimes } from "node:fs/promises";
import path from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Header, Pack } from "tar-stream";
import { lazyRequire } from "../lazy.js";

/** tar-stream, loaded on first use (a database backup never needs it). */
const tar = () => lazyRequire("tar-stream") as typeof import("tar-stream");

/**
 * Tar helpers shared by the directory and volume sources. Payload layout (public, see DESIGN):
 * entry names are relative to the tree root (`a/b.txt`, directories end in `/`), no entry for
 * the root itself; regular files, directories, symlinks (never followed), hard links; modes,
 * uid/gid and mtimes (seconds) in the headers, non-ASCII and long names as PAX records (GNU tar also
 * writes each mtime to the nanosecond as one, which a restore applies).
 */

/** A tar entry that cannot be written safely (absolute, `..`, through a symlink, ...). */
export class TarEntryError extends Error {
  override name = "TarEntryError";
  constructor(
    readonly entry: string,
    reason: string,
  ) {
    super(`unsafe tar entry "${entry}": ${reason}`);
  }
}

/** The reader of a `packToStream` stream destroyed it before its end. */
export class ReaderGoneError extends Error {
  override name = "ReaderGoneError";
  constructor() {
    super("the reader closed the stream before its end");
  }
}

export type EntryHeader = Parameters<Pack["entry"]>[0];
/** Maps an entry of an incoming tar to the entry to write, or null to drop it. May throw TarEntryError. */
export type HeaderMap = (header: Header) => EntryHeader | null;
export type Warn = (entry: string, message: string) => void;

/** Normalizes an entry name to a relative path inside the root ('' is the root); throws TarEntryError. */
export function safeEntryPath(name: string): string {
  if (name.includes("\0")) throw new TarEntryError(name, "contains a NUL byte");
  if (name.startsWith("/")) throw new TarEntryError(name, "is an absolute path");
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new TarEntryError(name, "climbs out of the target with ..");
  return parts.join("/");
}

/**
 * Writes one entry and resolves once tar-stream has taken all of it; a stream `body` is streamed,
 * never buffered, a Buffer is taken whole.
 */
export async function writeEntry(pack: Pack, header: EntryHeader, body?: AsyncIterable<unknown> | Readable | Buffer): Promise<void> {
  if (Buffer.isBuffer(body)) {
    return new Promise<void>((resolve, reject) => {
      pack.entry(header, body, (err) => (err ? reject(err) : resolve()));
    });
  }
  let sink!: ReturnType<Pack["entry"]>;
  const accepted = new Promise<void>((resolve, reject) => {
    sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
  });
  if (!body) {
    sink.end(undefined);
    return accepted;
  }
  const results = await Promise.allSettled([pipeline(body, sink), accepted]);
  for (const r of results) if (r.status === "rejected") throw r.reason;
}

/** Chunks a `packToStream` stream holds before the packer waits for its reader. */
const STREAM_CHUNKS_BUFFERED = 4;

/**
 * Runs `produce` into a fresh tar pack and exposes the bytes as a Node stream. `finished`
 * settles once both the producer and the stream are done; it rejects when either fails, the
 * reader destroys `stream` early, or `signal` aborts.
 */
export function packToStream(produce: (pack: Pack) => Promise<void>, signal: AbortSignal): { stream: Readable; finished: Promise<void> } {
  const pack = tar().pack();
  // Object mode on the reading side: each chunk tar-stream pushes (a header, a file's bytes, its
  // padding) is read as it is. A byte-mode stream's reader takes everything buffered as one
  // Buffer, and a 512-byte header waiting before a file's megabyte made that a copy of nearly
  // every byte of the tree (110 ms of the main thread for 200 MB). At most
  // STREAM_CHUNKS_BUFFERED chunks wait: a few MiB (a small file is one chunk of up to 1 MiB).
  const stream = new PassThrough({ readableObjectMode: true, readableHighWaterMark: STREAM_CHUNKS_BUFFERED });
  let producerFailed = false;
  let readerGaveUp = false;
  stream.once("close", () => {
    readerGaveUp = !stream.readableEnded && !producerFailed && !signal.aborted;
  });
  const producing = produce(pack).then(
    () => pack.finalize(),
    (err: unknown) => {
      producerFailed = true;
      pack.destroy(err instanceof Error ? err : new Error(String(err)));
      throw err;
    },
  );
  const flowing = pipeline(pack, stream, { signal });
  const finished = Promise.allSettled([producing, flowing]).then(([p, f]) => {
    if (signal.aborted) throw signal.reason;
    if (readerGaveUp) throw new ReaderGoneError();
    if (p.status === "rejected") throw p.reason;
    if (f.status === "rejected") throw f.reason;
  });
  return { stream, finished };
}

// ---------------------------------------------------------------- re-packing another tar

/** The entry to write for `header` under a new name; PAX records other than path/size are kept. */
export function renamedHeader(header: Header, name: string, linkname?: string): EntryHeader {
  const pax = Object.fromEntries(
    Object.entries((header.pax ?? {}) as Record<string, string>).filter(([k]) => k !== "path" && k !== "linkpath" && k !== "size"),
  );
  return {
    name: header.type === "directory" ? `${name}/` : name,
    type: header.type,
    mode: header.mode,
    uid: header.uid,
    gid: header.gid,
    uname: header.uname,
    gname: header.gname,
    mtime: header.mtime,
    size: header.size,
    linkname: linkname ?? header.linkname ?? undefined,
    devmajor: header.devmajor,
    devminor: header.devminor,
    ...(Object.keys(pax).length > 0 ? { pax } : {}),
  };
}

/** Keeps only safe entries, drops the root entry, normalizes names (for restores). */
export const safeEntries: HeaderMap = (header) => {
  const rel = safeEntryPath(header.name);
  if (!rel) return null;
  const linkname = header.type === "link" ? safeEntryPath(header.linkname) : undefined;
  return renamedHeader(header, rel, linkname);
};

/** Entries under `prefix/` (as the Docker archive API returns them) re-rooted at `prefix`; the root entry dropped. */
export function underPrefix(prefix: string): HeaderMap {
  const strip = (name: string): string => {
    const rel = safeEntryPath(name);
    if (rel !== prefix && !rel.startsWith(`${prefix}/`)) throw new TarEntryError(name, `is not under ${prefix}/`);
    return rel.slice(prefix.length + 1);
  };
  return (header) => {
    const rel = strip(header.name);
    if (!rel) return null;
    return renamedHeader(header, rel, header.type === "link" ? strip(header.linkname) : undefined);
  };
}

/** Copies the entries of the tar on `input` into `pack` through `map`; bodies are streamed. */
export async function rewriteTar(input: Readable, pack: Pack, map: HeaderMap, signal: AbortSignal): Promise<void> {
  const extract = tar().extract();
  const feeding = pipeline(input, extract, { signal });
  feeding.catch(() => undefined); // awaited below; the loop sees the same failure first
  try {
    for await (const entry of extract) {
      const header = map(entry.header);
      const hasBody = header !== null && (header.type === "file" || header.type === "contiguous-file");
      if (header) await writeEntry(pack, header, hasBody ? entry : undefined);
      if (!hasBody) entry.resume();
    }
  } catch (err) {
    extract.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
  await feeding;
}

// ---------------------------------------------------------------- extracting into a directory

export interface ExtractOptions {
  signal: AbortSignal;
  warn: Warn;
  /** Restore uid/gid (only root can). */
  restoreOwner: boolean;
}

/**
 * Extracts a tar into `root`, an existing empty directory. Unsafe names are refused; nothing is
 * ever written through a symlink: links are created last, and every parent directory is checked
 * to be a real directory inside `root`.
 */
export async function extractTree(input: Readable, root: string, options: ExtractOptions): Promise<void> {
  const tree = new TreeWriter(root, options);
  const extract = tar().extract();
  const feeding = pipeline(input, extract, { signal: options.signal });
  feeding.catch(() => undefined);
  try {
    for await (const entry of extract) {
      await tree.add(entry.header, entry);
    }
  } catch (err) {
    extract.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
  await feeding;
  await tree.finish();
}

class TreeWriter {
  private readonly realDirs = new Set<string>([""]);
  private readonly dirs: Array<{ rel: string; header: Header }> = [];
  private readonly hardLinks: Array<{ rel: string; from: string }> = [];
  private readonly symlinks: Array<{ rel: string; header: Header }> = [];

  constructor(
    private readonly root: string,
    private readonly options: ExtractOptions,
  ) {}

  async add(header: Header, body: AsyncIterable<unknown> & { resume(): unknown }): Promise<void> {
    const rel = safeEntryPath(header.name);
    // tar-stream reads names as UTF-8: bytes that are not are written as U+FFFD.
    if (rel.includes("\uFFFD")) this.options.warn(rel, "its name in the archive is not valid UTF-8 (another character set): restored under this name; `tar -x` restores the exact name");
    if (header.type === "file" || header.type === "contiguous-file") {
      if (!rel) throw new TarEntryError(header.name, "is a file in place of the target directory");
      await this.ensureDir(path.posix.dirname(rel));
      const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
      const file = await open(this.abs(rel), flags, 0o600);
      await pipeline(body, file.createWriteStream(), { signal: this.options.signal }); // closes `file`
      await this.applyMetadata(rel, header);
      return;
    }
    body.resume();
    if (header.type === "directory") {
      if (!rel) return;
      await this.ensureDir(rel);
      this.dirs.push({ rel, header });
    } else if (header.type === "symlink") {
      if (!rel) throw new TarEntryError(header.name, "is a symlink in place of the target directory");
      this.symlinks.push({ rel, header });
    } else if (header.type === "link") {
      if (!rel) throw new TarEntryError(header.name, "is a link in place of the target directory");
      this.hardLinks.push({ rel, from: safeEntryPath(header.linkname) });
    } else {
      this.options.warn(rel, `is a ${header.type}; skipped`);
    }
  }

  /** Links last (hard links before any symlink exists), then directory modes and times, deepest first. */
  async finish(): Promise<void> {
    for (const l of this.hardLinks) {
      await this.ensureDir(path.posix.dirname(l.rel));
      await link(this.abs(l.from), this.abs(l.rel));
    }
    for (const s of this.symlinks) {
      await this.ensureDir(path.posix.dirname(s.rel));
      await symlink(s.header.linkname, this.abs(s.rel));
      await this.applyMetadata(s.rel, s.header);
    }
    for (const d of [...this.dirs].sort((a, b) => b.rel.length - a.rel.length)) {
      await this.applyMetadata(d.rel, d.header);
    }
  }

  private abs(rel: string): string {
    return rel ? path.join(this.root, rel) : this.root;
  }

  /** Creates the missing parts of `rel` one level at a time, refusing symlinks and non-directories on the way. */
  private async ensureDir(rel: string): Promise<void> {
    if (rel === "." || this.realDirs.has(rel)) return;
    await this.ensureDir(path.posix.dirname(rel));
    const st = await lstat(this.abs(rel)).catch(vanished);
    if (!st) {
      await mkdir(this.abs(rel), { mode: 0o755 });
    } else if (st.isSymbolicLink()) {
      throw new TarEntryError(rel, "would be written through a symlink");
    } else if (!st.isDirectory()) {
      throw new TarEntryError(rel, "is needed as a directory but the archive made it a file");
    }
    this.realDirs.add(rel);
  }

  private async applyMetadata(rel: string, header: Header): Promise<void> {
    const target = this.abs(rel);
    // chown before chmod: chown clears setuid/setgid bits.
    if (this.options.restoreOwner) await lchown(target, header.uid, header.gid);
    const mtime = modifiedAt(header);
    if (header.type === "symlink") {
      await lutimes(target, mtime, mtime);
      return;
    }
    await chmod(target, header.mode & 0o7777);
    await utimes(target, mtime, mtime);
  }
}

/** An entry's mtime: the PAX record's, to the microsecond (GNU tar writes nanoseconds), else the header's whole seconds. */
function modifiedAt(header: Header): Date | number {
  const pax = (header.pax as Record<string, string> | undefined)?.mtime;
  const seconds = pax !== undefined && /^-?\d+(\.\d+)?$/.test(pax) ? Number(pax) : Number.NaN;
  return Number.isFinite(seconds) ? seconds : header.mtime!;
}

/** For a `.catch` on a file-system call: undefined when the path is gone (ENOENT), else the error again. */
export function vanished(err: unknown): undefined {
  if ((err as { code?: string }).code === "ENOENT") return undefined;
  throw err;
}
