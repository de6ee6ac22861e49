import fs, { constants, type Stats } from "node:fs";
import { chmod, lchown, link, lstat, lutimes, mkdir, open, readdir, readlink, symlink, utimes, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Header, Pack } from "tar-stream";
import { lazyRequire } from "../lazy.js";
import type { ExcludeMatcher } from "./exclude.js";

/** tar-stream, loaded on first use (a database backup never needs it). */
const tar = () => lazyRequire("tar-stream") as typeof import("tar-stream");

/**
 * Tar helpers shared by the directory and volume sources. Payload layout (public, see DESIGN):
 * entry names are relative to the tree root (`a/b.txt`, directories end in `/`), no entry for
 * the root itself; regular files, directories, symlinks (never followed), hard links; modes,
 * uid/gid and mtimes (seconds) in the headers, non-ASCII and long names as PAX records.
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

// ---------------------------------------------------------------- packing a directory

/**
 * Files up to this size are read whole ahead of their turn, several at once: a tree of many
 * small files is otherwise a chain of thread-pool round trips (lstat, open, fstat, read, close
 * per file) with the main thread idle in between (a 200 MB tree of 800 files took 1.2 s to pack).
 */
const READ_AHEAD_FILE_BYTES = 1024 * 1024;
/** What is read ahead at most: bytes held, and entries in flight. */
const READ_AHEAD_BYTES = 8 * 1024 * 1024;
const READ_AHEAD_ENTRIES = 32;
/** Entries of one directory whose lstat runs at once. */
const LSTAT_BATCH = 64;

/** An entry of the tree in archive order; `st` is undefined when it vanished before its lstat. */
interface TreeEntry {
  abs: string;
  rel: string;
  st: Stats | undefined;
}

/** What a small file held when it was read ahead (undefined when it vanished before its open). */
interface FileContent {
  data: Buffer;
  /** It was written to, grew or shrank while it was read: `data` may mix old and new content. */
  changed: boolean;
}

/** What packTree reports besides the archive. */
export interface PackTreeOptions {
  signal: AbortSignal;
  warn: Warn;
  /** Entries left out of the archive (a directory with everything under it). */
  exclude?: ExcludeMatcher;
  /**
   * A file that changed while it was read (written to, grown or shrunk between its open and the
   * end of its read, as GNU tar's "file changed as we read it"): its stored copy may mix old and
   * new content. Also warned about.
   */
  changed?: (entry: string) => void;
}

/** Whether a file's status differs between two fstat calls on it (a write moves mtime and ctime). */
function statusMoved(before: Stats, after: Stats): boolean {
  return before.size !== after.size || before.mtimeMs !== after.mtimeMs || before.ctimeMs !== after.ctimeMs;
}

/** A small file that was larger than READ_AHEAD_FILE_BYTES by its open. */
const GREW = Symbol("grew");

/**
 * Appends everything under `root` (not the root itself) to `pack`, sorted, symlinks not followed.
 * Entries are written strictly in order; small files are read up to READ_AHEAD_BYTES ahead.
 */
export async function packTree(root: string, pack: Pack, options: PackTreeOptions): Promise<void> {
  const window: Array<{ entry: TreeEntry; content?: Promise<FileContent | typeof GREW | undefined>; bytes: number }> = [];
  let held = 0;
  const walk = treeEntries(root, "", options.signal, options.exclude ?? (() => false));
  let walked = false;
  try {
    for (;;) {
      while (!walked && window.length < READ_AHEAD_ENTRIES && held < READ_AHEAD_BYTES) {
        const next = await walk.next();
        if (next.done) {
          walked = true;
          break;
        }
        const entry = next.value;
        const small = entry.st?.isFile() && entry.st.size <= READ_AHEAD_FILE_BYTES;
        const content = small ? readWhole(entry.abs) : undefined;
        content?.catch(() => {}); // awaited in its turn; a failure surfaces there
        window.push({ entry, content, bytes: small ? entry.st!.size : 0 });
        held += small ? entry.st!.size : 0;
      }
      const item = window.shift();
      if (!item) return;
      options.signal.throwIfAborted();
      await packEntry(item.entry, pack, options, item.content && (await item.content));
      held -= item.bytes;
    }
  } finally {
    await walk.return(undefined);
    // Reads still in flight close their files themselves; nothing runs once this returns.
    await Promise.allSettled(window.map((w) => w.content));
  }
}

/** Every entry under `abs` that is not excluded, depth first, names sorted, a directory before its content. */
async function* treeEntries(abs: string, rel: string, signal: AbortSignal, exclude: ExcludeMatcher): AsyncGenerator<TreeEntry> {
  const names = (await readdir(abs)).sort();
  for (let i = 0; i < names.length; i += LSTAT_BATCH) {
    signal.throwIfAborted();
    const batch = names.slice(i, i + LSTAT_BATCH);
    const stats = await Promise.all(batch.map((name) => lstat(path.join(abs, name)).catch(vanished)));
    for (const [j, name] of batch.entries()) {
      const entry = { abs: path.join(abs, name), rel: rel ? `${rel}/${name}` : name, st: stats[j] };
      if (exclude(entry.rel, entry.st?.isDirectory() ?? false)) continue;
      yield entry;
      if (entry.st?.isDirectory()) yield* treeEntries(entry.abs, entry.rel, signal, exclude);
    }
  }
}

async function packEntry({ abs, rel, st }: TreeEntry, pack: Pack, options: PackTreeOptions, content: FileContent | typeof GREW | undefined): Promise<void> {
  if (!st) return options.warn(rel, "removed while the backup ran; skipped");
  const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
  const changed = (how: string) => {
    options.warn(rel, `${how}; its copy may mix old and new content`);
    options.changed?.(rel);
  };
  if (st.isDirectory()) {
    await writeEntry(pack, { ...base, name: `${rel}/`, type: "directory" });
  } else if (st.isSymbolicLink()) {
    await writeEntry(pack, { ...base, name: rel, type: "symlink", linkname: await readlink(abs) });
  } else if (st.isFile() && st.size <= READ_AHEAD_FILE_BYTES && content !== GREW) {
    if (!content) return options.warn(rel, "removed while the backup ran; skipped");
    await writeEntry(pack, { ...base, name: rel, type: "file", size: content.data.length }, content.data);
    if (content.changed) changed("changed while it was read");
  } else if (st.isFile()) {
    const handle = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW).catch(vanished);
    if (!handle) return options.warn(rel, "removed while the backup ran; skipped");
    try {
      const opened = await handle.stat();
      let shrank = false;
      await writeEntry(pack, { ...base, name: rel, type: "file", size: opened.size }, fileBody(handle, opened.size, () => (shrank = true)));
      if (shrank) changed("shrank while it was read; padded with zeros");
      else if (statusMoved(opened, await handle.stat())) changed("changed while it was read");
    } finally {
      await handle.close();
    }
  } else {
    options.warn(rel, "is a socket, FIFO or device; skipped");
  }
}

/**
 * A small file's bytes as of its open, through fs's callback API: the same open, fstat, read
 * and close on the thread pool as through a FileHandle, with about half the main thread's work
 * (measured over the 700 small files of a 200 MB tree). A file that grows meanwhile is cut at its
 * size at the open, one that shrinks is stored shorter (the entry's size is what was read); a
 * second fstat after the read tells whether it changed meanwhile (`changed`).
 * GREW when it is no longer small at its open (it is then streamed like a large file);
 * undefined when it vanished.
 */
function readWhole(abs: string): Promise<FileContent | typeof GREW | undefined> {
  return new Promise((resolve, reject) => {
    fs.open(abs, constants.O_RDONLY | constants.O_NOFOLLOW, (err, fd) => {
      if (err) return err.code === "ENOENT" ? resolve(undefined) : reject(err);
      const done = (failure: Error | null, result?: FileContent | typeof GREW) => {
        fs.close(fd, (closeErr) => (failure || closeErr ? reject(failure ?? closeErr) : resolve(result)));
      };
      fs.fstat(fd, (statErr, st) => {
        if (statErr) return done(statErr);
        if (st.size > READ_AHEAD_FILE_BYTES) return done(null, GREW);
        const data = Buffer.allocUnsafe(st.size);
        /** The read is over at `got` bytes: a second fstat tells whether the file changed meanwhile. */
        const settle = (got: number) => fs.fstat(fd, (againErr, again) => (againErr ? done(againErr) : done(null, { data: data.subarray(0, got), changed: got < st.size || statusMoved(st, again) })));
        const readFrom = (got: number): void => {
          if (got === data.length) {
            settle(got);
            return;
          }
          fs.read(fd, data, got, data.length - got, got, (readErr, n) => {
            if (readErr) done(readErr);
            else if (n === 0) settle(got);
            else readFrom(got + n);
          });
        };
        readFrom(0);
      });
    });
  });
}

/** A file is read 256 KiB at a time: a quarter of the thread-pool round trips of the 64 KiB default. */
const FILE_READ_BYTES = 256 * 1024;

/** Exactly `size` bytes: a file that grows is cut, one that shrinks is padded (like GNU tar). */
async function* fileBody(handle: FileHandle, size: number, shrank: () => void): AsyncGenerator<Buffer> {
  let sent = 0;
  if (size > 0) {
    for await (const chunk of handle.createReadStream({ start: 0, end: size - 1, autoClose: false, highWaterMark: FILE_READ_BYTES }) as AsyncIterable<Buffer>) {
      sent += chunk.length;
      yield chunk;
    }
  }
  if (sent < size) shrank();
  const zeros = Buffer.alloc(Math.min(64 * 1024, size - sent));
  while (sent < size) {
    const n = Math.min(zeros.length, size - sent);
    sent += n;
    yield zeros.subarray(0, n);
  }
}

function vanished(err: unknown): undefined {
  if ((err as { code?: string }).code === "ENOENT") return undefined;
  throw err;
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
    if (header.type === "symlink") {
      await lutimes(target, header.mtime, header.mtime);
      return;
    }
    await chmod(target, header.mode & 0o7777);
    await utimes(target, header.mtime, header.mtime);
  }
}
