import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { chmod, lstat, lutimes, mkdir, mkdtemp, open, readdir, readFile, readlink, rm, truncate, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import tar from "tar-stream";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { diffTrees, snapshotTree, writeTree } from "../../test/helpers/tree.js";
import { waitFor } from "../../test/helpers/wait.js";
import { createLogger } from "../logger.js";
import { createDirectoryDriver } from "./directory.js";
import { SourceError, type SourceDeps } from "./port.js";

const deps: SourceDeps = {
  log: createLogger("silent"),
  docker: () => {
    throw new Error("the directory source must not use Docker");
  },
  helperImage: undefined,
};
const driver = createDirectoryDriver(deps);
const signal = () => new AbortController().signal;

let work: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "tb-directory-test-"));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function seed(root: string): Promise<void> {
  await writeTree(root, {
    "README.md": "hello\n",
    "secret.key": { content: "0123456789abcdef", mode: 0o600 },
    "bin/run.sh": { content: "#!/bin/sh\necho hi\n", mode: 0o755 },
    "nested/deeper/deepest/file.txt": "deep\n",
    "nested/private": { dir: true, mode: 0o700 },
    "nested/private/note.txt": "inside a 0700 dir\n",
    "empty-dir": { dir: true },
    "данные 📦.txt": "unicode name ✓\n",
    "binary.bin": randomBytes(70_000),
    "big/five-megabytes.bin": randomBytes(5 * 1024 * 1024 + 123),
    [`long/${"x".repeat(120)}/${"y".repeat(120)}.txt`]: "a name longer than ustar allows\n",
    "links/relative": { symlink: "../README.md" },
    "links/dangling": { symlink: "../does/not/exist" },
    "links/dir-link": { symlink: "../nested" },
  });
}

async function backupToFile(source: string, file: string): Promise<void> {
  const dump = await driver.dump({ kind: "directory", path: source }, { format: "tar", signal: signal() });
  await pipeline(dump.stream, createWriteStream(file));
  await dump.done;
}

describe("directory source", () => {
  test("round trip: back up, restore into a fresh folder, same tree (contents, modes, owners, mtimes, links, empty dirs)", async () => {
    const source = path.join(work, "source");
    await seed(source);
    const payload = path.join(work, "payload.tar");
    await backupToFile(source, payload);

    const target = path.join(work, "restored");
    await driver.restore({ kind: "directory", path: target }, createReadStream(payload), { format: "tar", signal: signal() });

    const expected = await snapshotTree(source, { owner: true, mtime: true });
    expect(Object.keys(expected)).toContain("empty-dir");
    expect(expected["links/dangling"]).toEqual({ type: "symlink", target: "../does/not/exist", uid: 0, gid: 0 });
    expect(diffTrees(expected, await snapshotTree(target, { owner: true, mtime: true }))).toEqual([]);
  });

  test("mtimes come back to the microsecond, as GNU tar stored them (files, folders and links)", async () => {
    const source = path.join(work, "source");
    await writeTree(source, { "sub/file.txt": "x", "link": { symlink: "sub/file.txt" } });
    const when = 1_700_000_000.123456;
    await utimes(path.join(source, "sub/file.txt"), when, when);
    await lutimes(path.join(source, "link"), when + 1, when + 1);
    await utimes(path.join(source, "sub"), when + 2, when + 2);
    const payload = path.join(work, "payload.tar");
    await backupToFile(source, payload);
    const target = path.join(work, "restored");
    await driver.restore({ kind: "directory", path: target }, createReadStream(payload), { format: "tar", signal: signal() });
    const at = async (rel: string) => (await lstat(path.join(target, rel))).mtimeMs;
    expect(await at("sub/file.txt")).toBeCloseTo(when * 1000, 2);
    expect(await at("link")).toBeCloseTo((when + 1) * 1000, 2);
    expect(await at("sub")).toBeCloseTo((when + 2) * 1000, 2);
  });

  test("a name that is not UTF-8 (another character set) is backed up with its exact bytes, never skipped; a restore warns that it writes it under another name", async () => {
    const source = path.join(work, "source");
    await writeTree(source, { "plain.txt": "p" });
    const latin1 = Buffer.concat([Buffer.from(source), Buffer.from("/caf"), Buffer.from([0xe9]), Buffer.from(".txt")]);
    await writeFile(latin1, "café in Latin-1");
    const warnings: string[] = [];
    const log = createLogger("warn", { write: (line: string) => void warnings.push(line) });
    const logged = createDirectoryDriver({ ...deps, log });
    await expect(logged.check!({ kind: "directory", path: source }, signal())).resolves.toEqual({}); // readable, not "cannot be read"
    const payload = path.join(work, "payload.tar");
    const dump = await logged.dump({ kind: "directory", path: source }, { format: "tar", signal: signal() });
    await pipeline(dump.stream, createWriteStream(payload));
    await dump.done;
    expect(await dump.files!()).toEqual({ files: 2, bytes: 1 + 16 });
    expect(warnings).toEqual([]);

    // GNU tar gives back the exact name.
    const byHand = path.join(work, "by-hand");
    await mkdir(byHand);
    await promisify(execFile)("tar", ["-xf", payload, "-C", byHand]);
    expect((await readdir(byHand, { encoding: "buffer" })).map((n) => n.toString("hex")).sort()).toEqual([Buffer.from("caf\u00e9.txt", "latin1").toString("hex"), Buffer.from("plain.txt").toString("hex")].sort());

    const target = path.join(work, "restored");
    await logged.restore({ kind: "directory", path: target }, createReadStream(payload), { format: "tar", signal: signal() });
    expect((await readdir(target)).sort()).toEqual(["caf\uFFFD.txt", "plain.txt"]);
    expect(await readFile(path.join(target, "caf\uFFFD.txt"), "utf8")).toBe("café in Latin-1");
    expect(warnings.join("")).toContain("its name in the archive is not valid UTF-8");
  });

  test("the payload is a plain tar that GNU tar extracts to the same tree", async () => {
    const source = path.join(work, "source");
    await seed(source);
    const payload = path.join(work, "payload.tar");
    await backupToFile(source, payload);

    const { stdout } = await promisify(execFile)("tar", ["-tf", payload]);
    const names = stdout.trim().split("\n");
    expect(names).toContain("README.md");
    expect(names).toContain("empty-dir/");
    expect(names).toContain("данные 📦.txt");
    expect(names.every((n) => !n.startsWith("/") && !n.startsWith("./") && !n.startsWith("source/"))).toBe(true);

    const target = path.join(work, "gnu");
    await writeTree(target, {});
    await promisify(execFile)("tar", ["-xpf", payload, "-C", target]);
    expect(diffTrees(await snapshotTree(source), await snapshotTree(target))).toEqual([]);
  });

  test("check reports a missing directory and a file in place of a directory", async () => {
    const missing = path.join(work, "nope");
    await expect(driver.check({ kind: "directory", path: missing })).rejects.toThrow(new SourceError(`directory ${missing} does not exist`, "directory", { key: "source-error-dir-missing", params: { path: missing } }));
    await expect(driver.dump({ kind: "directory", path: missing }, { format: "tar", signal: signal() })).rejects.toBeInstanceOf(SourceError);

    const file = path.join(work, "file.txt");
    await writeFile(file, "x");
    await expect(driver.check({ kind: "directory", path: file })).rejects.toThrow(`${file} is not a directory`);
    await expect(driver.check({ kind: "directory", path: work })).resolves.toEqual({});
  });

  test("check says when the tar on PATH is not GNU tar, or when there is none: folders need it", async () => {
    const source = path.join(work, "source");
    await writeTree(source, { "a.txt": "a" });
    const bin = path.join(work, "bin");
    await writeTree(bin, { tar: { content: "#!/bin/sh\necho 'bsdtar 3.6.2 - libarchive 3.6.2'\n", mode: 0o755 } });
    const path0 = process.env.PATH;
    try {
      process.env.PATH = `${bin}:${path0}`;
      const other = await driver.check!({ kind: "directory", path: source }, signal()).catch((e: unknown) => e);
      expect(other).toBeInstanceOf(SourceError);
      expect(other).toMatchObject({ key: "source-error-dir-no-gnu-tar", params: { found: "bsdtar 3.6.2 - libarchive 3.6.2" } });
      process.env.PATH = path.join(work, "empty");
      await expect(driver.check!({ kind: "directory", path: source }, signal())).rejects.toMatchObject({ key: "source-error-tool-missing", params: { tool: "tar" } });
    } finally {
      process.env.PATH = path0;
    }
    await expect(driver.check!({ kind: "directory", path: source }, signal())).resolves.toEqual({});
  });

  test("restore refuses a target that already has content", async () => {
    const target = path.join(work, "busy");
    await writeTree(target, { "keep.txt": "mine" });
    const input = Readable.from([Buffer.alloc(1024)]);
    await expect(driver.restore({ kind: "directory", path: target }, input, { format: "tar", signal: signal() })).rejects.toThrow(
      `restore target ${target} is not empty: restore into a new or empty directory`,
    );
    expect(await readdir(target)).toEqual(["keep.txt"]);
    expect(input.destroyed).toBe(true); // upstream stages are released, not left waiting
  });

  test.each([
    ["../escape.txt", "climbs out of the target with .."],
    ["a/../../escape.txt", "climbs out of the target with .."],
    ["/tmp/absolute.txt", "is an absolute path"],
  ])("restore refuses the entry %s", async (name, reason) => {
    const target = path.join(work, "target");
    const input = await tarOf([{ name, body: "evil" }]);
    await expect(driver.restore({ kind: "directory", path: target }, input, { format: "tar", signal: signal() })).rejects.toThrow(reason);
    expect(await readdir(work)).toEqual([]); // the folder it made is gone again
  });

  test("a restore that fails midway leaves the target as it was: an empty folder stays empty, a folder it made is gone again", async () => {
    const existing = path.join(work, "existing");
    await mkdir(existing);
    const made = path.join(work, "made", "deeper");
    for (const target of [existing, made]) {
      // Good entries first, then one that is refused: the good ones were already extracted.
      const input = await tarOf([{ name: "a.txt", body: "a" }, { name: "sub/b.txt", body: "b" }, { name: "../escape.txt", body: "evil" }]);
      await expect(driver.restore({ kind: "directory", path: target }, input, { format: "tar", signal: signal() })).rejects.toThrow("climbs out of the target with ..");
    }
    expect(await readdir(existing)).toEqual([]);
    expect(await readdir(path.join(work, "made"))).toEqual([]);
  });

  test("a restore's staging folder is what restoreScratch names; a dead restore's one is cleared by the next restore, a live one's refuses it", async () => {
    const target = path.join(work, "target");
    const [staging] = driver.restoreScratch!({ kind: "directory", path: target }, "a-token");
    expect(path.dirname(staging!)).toBe(target);
    expect(path.basename(staging!)).toMatch(/^\.tele-backup-restore-\d+\.\d+$/);

    await writeTree(path.join(target, ".tele-backup-restore-4194305.1"), { "half.bin": "left by a killed restore" });
    await driver.restore({ kind: "directory", path: target }, await tarOf([{ name: "a.txt", body: "a" }]), { format: "tar", signal: signal() });
    expect(await readdir(target)).toEqual(["a.txt"]);

    const busy = path.join(work, "busy");
    await writeTree(path.join(busy, `.tele-backup-restore-${process.pid}`), { "x.bin": "a live restore's" });
    await expect(driver.restore({ kind: "directory", path: busy }, await tarOf([{ name: "a.txt", body: "a" }]), { format: "tar", signal: signal() })).rejects.toThrow("is not empty");
  });

  /**
   * A restore into a new empty folder, under way: config.yml has reached its staging folder;
   * `finish` sends the rest of the payload (data/rows.bin).
   */
  async function restoreUnderWay() {
    const target = path.join(work, "target");
    await mkdir(target);
    const input = new PassThrough();
    const pack = tar.pack();
    pack.pipe(input);
    const restoring = driver.restore({ kind: "directory", path: target }, input, { format: "tar", signal: signal() });
    restoring.catch(() => undefined);
    pack.entry({ name: "config.yml" }, "from the backup");
    await waitFor("the staging folder", async () => (await readdir(target)).some((n) => n.startsWith(".tele-backup-restore-")));
    const finish = () => {
      pack.entry({ name: "data/rows.bin" }, "from the backup");
      pack.finalize();
    };
    return { target, restoring, finish };
  }

  test("a name the folder gains while the restore runs (the app writing) is neither overwritten nor mixed with the backup", async () => {
    const { target, restoring, finish } = await restoreUnderWay();
    await writeFile(path.join(target, "config.yml"), "written by the app meanwhile");
    finish();
    await expect(restoring).rejects.toThrow(`restore into directory ${target} failed: already in the folder: config.yml; nothing was moved, the folder is as it was`);
    expect(await readdir(target)).toEqual(["config.yml"]);
    expect(await readFile(path.join(target, "config.yml"), "utf8")).toBe("written by the app meanwhile");
  });

  test("moves into place the folder refuses (made immutable meanwhile): the error says the folder may hold part of the backup and where the rest is", async () => {
    const { target, restoring, finish } = await restoreUnderWay();
    await promisify(execFile)("chattr", ["+i", target]);
    try {
      finish();
      await expect(restoring).rejects.toThrow(
        new RegExp(`^restore into directory ${target} failed while moving the restored files into place \\(.*operation not permitted.*\\): the folder may hold part of the backup, the rest is in ${target}/\\.tele-backup-restore-[\\d.]+$`),
      );
    } finally {
      await promisify(execFile)("chattr", ["-i", target]);
    }
  });

  test("a dead restore killed while it moved files into place: the next restore finishes those moves (never a mix), then refuses the folder that now holds that backup", async () => {
    const target = path.join(work, "target");
    const dead = path.join(target, ".tele-backup-restore-4194305.1");
    await writeTree(target, { "a.txt": "moved before the kill", ".tele-backup-restore-4194305.1.moving": "", ".tele-backup-restore-4194305.1/sub/b.txt": "still staged" });
    await expect(driver.restore({ kind: "directory", path: target }, await tarOf([{ name: "other.txt", body: "x" }]), { format: "tar", signal: signal() })).rejects.toThrow(
      `restore target ${target} held the files of an interrupted restore that was moving them into place; that restore was finished, so the folder now holds its backup`,
    );
    expect((await readdir(target)).sort()).toEqual(["a.txt", "sub"]);
    expect(await readFile(path.join(target, "sub/b.txt"), "utf8")).toBe("still staged");
    await expect(readdir(dead)).rejects.toMatchObject({ code: "ENOENT" });
  });

  test("restore never writes through a symlink from the archive", async () => {
    const outside = path.join(work, "outside");
    await writeTree(outside, {});
    const target = path.join(work, "target");
    const input = await tarOf([
      { name: "escape", type: "symlink", linkname: outside },
      { name: "escape/owned.txt", body: "evil" },
    ]);
    await expect(driver.restore({ kind: "directory", path: target }, input, { format: "tar", signal: signal() })).rejects.toBeInstanceOf(SourceError);
    expect(await readdir(outside)).toEqual([]);

    const target2 = path.join(work, "target2");
    const links = await tarOf([
      { name: "escape", type: "symlink", linkname: outside },
      { name: "escape/inner", type: "symlink", linkname: "/etc/passwd" },
    ]);
    await expect(driver.restore({ kind: "directory", path: target2 }, links, { format: "tar", signal: signal() })).rejects.toThrow(
      'unsafe tar entry "escape": would be written through a symlink',
    );
    expect(await readdir(outside)).toEqual([]);
  });

  test("many files are read ahead yet archived in order; one removed meanwhile is skipped with a warning", async () => {
    const source = path.join(work, "source");
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 300; i++) files[`d${Math.floor(i / 100)}/f${String(i).padStart(3, "0")}.bin`] = randomBytes(64 * 1024 + i);
    await writeTree(source, files);
    const stepped = await steppedDump(source);
    // Read 1 MiB, then remove a file of the folder being archived, beyond what is read ahead
    // (32 entries) and what is listed ahead (64), then read the rest.
    await stepped.readUpTo(1024 * 1024);
    await rm(path.join(source, "d0/f090.bin"));
    const archived = await entriesOf(await stepped.finish());
    const expected = Object.keys(files).filter((f) => f !== "d0/f090.bin");
    expect(archived.map((e) => e.name)).toEqual(["d0/", ...expected.slice(0, 99), "d1/", ...expected.slice(99, 199), "d2/", ...expected.slice(199)]);
    for (const e of archived) if (!e.name.endsWith("/")) expect(e.body.equals(files[e.name]!), e.name).toBe(true);
    expect(stepped.logged()).toContain('"entry":"d0/f090.bin","msg":"removed while the backup ran; skipped"');
    expect(stepped.dump.changedWhileRead!()).toEqual([]); // removed before its turn: absent, not mixed
  });

  test("a large file written to or shrunk while it is read is reported as changed (its copy may mix old and new content), with a warning", async () => {
    const source = path.join(work, "source");
    const MiB = 1024 * 1024;
    const files = { "a.bin": randomBytes(16 * MiB), "b.bin": randomBytes(16 * MiB), "c.bin": randomBytes(16 * MiB) };
    await writeTree(source, files);
    const stepped = await steppedDump(source);
    await stepped.readUpTo(2 * MiB); // inside a.bin: rewrite a block near its end, in place
    const rewritten = randomBytes(MiB);
    const inPlace = await open(path.join(source, "a.bin"), "r+");
    await inPlace.write(rewritten, 0, MiB, 12 * MiB);
    await inPlace.close();
    await stepped.readUpTo(20 * MiB); // inside b.bin: cut it short
    await truncate(path.join(source, "b.bin"), MiB);
    const archive = await stepped.finish();

    expect(stepped.dump.changedWhileRead!()).toEqual(["a.bin", "b.bin"]);
    const logged = stepped.logged();
    expect(logged).toContain('"entry":"a.bin","msg":"changed while it was read; its copy may mix old and new content"');
    expect(logged).toContain('"entry":"b.bin","msg":"shrank while it was read; padded with zeros; its copy may mix old and new content"');
    expect(logged).not.toContain('"entry":"c.bin"');
    const archived = await entriesOf(archive);
    expect(archived.map((e) => [e.name, e.body.length])).toEqual([["a.bin", 16 * MiB], ["b.bin", 16 * MiB], ["c.bin", 16 * MiB]]);
    expect(archived[2]!.body.equals(files["c.bin"])).toBe(true);
    expect(archived[1]!.body.subarray(0, MiB).equals(files["b.bin"].subarray(0, MiB))).toBe(true);
  });

  test("exclude patterns leave entries out (a folder with everything under it), and an unreadable excluded folder does not fail the check", async () => {
    const source = path.join(work, "source");
    await writeTree(source, {
      "app.log": "x",
      "keep.txt": "kept",
      "data/db.sqlite": "kept",
      "data/old.log": "x",
      "cache/a.bin": "x",
      "web/cache/b.bin": "kept: a pattern with a / matches from the source folder",
      "tmp/sessions/s1": "x",
    });
    const locked = path.join(source, "private");
    await mkdir(locked, { mode: 0 });
    // `tmp/**` leaves out what is under tmp/, not tmp/ itself; `private/` the folder and its content.
    const config = { kind: "directory" as const, path: source, exclude: ["*.log", "cache/a.bin", "tmp/**", "private/"] };
    try {
      if (process.getuid?.() !== 0) await expect(driver.check!({ kind: "directory", path: source }, signal())).rejects.toThrow("cannot be read");
      await driver.check!(config, signal());
      const dump = await driver.dump(config, { format: "tar", signal: signal() });
      const chunks: Buffer[] = [];
      for await (const c of dump.stream) chunks.push(c as Buffer);
      await dump.done;
      expect((await entriesOf(Buffer.concat(chunks))).map((e) => e.name)).toEqual(["cache/", "data/", "data/db.sqlite", "keep.txt", "tmp/", "web/", "web/cache/", "web/cache/b.bin"]);
    } finally {
      await chmod(locked, 0o700);
    }
  });

  test("a small file that grows past the read-ahead size or shrinks after it was listed is stored as it was at its open", async () => {
    const source = path.join(work, "source");
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 60; i++) files[`f${String(i).padStart(2, "0")}.bin`] = randomBytes(32 * 1024);
    await writeTree(source, files);
    const dump = await driver.dump({ kind: "directory", path: source }, { format: "tar", signal: signal() });
    // The first chunk is there: all 60 names are listed (one lstat batch), the first 32 are being
    // read ahead, the last ones are not yet opened. Change two of those.
    const chunks: Buffer[] = [];
    const it = dump.stream[Symbol.asyncIterator]();
    chunks.push((await it.next()).value as Buffer);
    const grown = randomBytes(3 * 1024 * 1024); // more than the 1 MiB a file is read whole up to
    const shrunk = files["f58.bin"]!.subarray(0, 10);
    await writeFile(path.join(source, "f57.bin"), grown);
    await writeFile(path.join(source, "f58.bin"), shrunk);
    for (let next = await it.next(); !next.done; next = await it.next()) chunks.push(next.value as Buffer);
    await dump.done;
    expect(dump.changedWhileRead!()).toEqual([]); // changed before their open: stored as they were then

    const archived = new Map((await entriesOf(Buffer.concat(chunks))).map((e) => [e.name, e.body]));
    expect([...archived.keys()]).toEqual(Object.keys(files));
    expect(archived.get("f57.bin")!.equals(grown)).toBe(true);
    expect(archived.get("f58.bin")!.equals(shrunk)).toBe(true);
    for (const [name, body] of archived) if (name !== "f57.bin" && name !== "f58.bin") expect(body.equals(files[name]!), name).toBe(true);
  });

  test("done rejects once the consumer destroys the stream midway", async () => {
    const source = path.join(work, "source");
    await seed(source);
    const many: Record<string, Buffer> = {};
    for (let i = 0; i < 100; i++) many[`many/${i}.bin`] = randomBytes(64 * 1024);
    await writeTree(source, many); // read ahead, several at once, when the reader goes away
    const dump = await driver.dump({ kind: "directory", path: source }, { format: "tar", signal: signal() });
    for await (const _chunk of dump.stream) break; // reads one chunk, then destroys
    await expect(dump.done).rejects.toThrow(/backup of directory .* failed: the reader closed the stream before its end/);
    // Files read ahead were closed before `done` settled.
    expect(await openFilesUnder(source)).toEqual([]);
  });

  test("done rejects when the signal aborts", async () => {
    const source = path.join(work, "source");
    await seed(source);
    const controller = new AbortController();
    const dump = await driver.dump({ kind: "directory", path: source }, { format: "tar", signal: controller.signal });
    controller.abort(new Error("cancelled by the user"));
    await expect(dump.done).rejects.toThrow("cancelled by the user");
    expect(dump.stream.destroyed).toBe(true);
  });
});

/** Files of this process open under `dir` (from /proc/self/fd). */
/** A dump of the directory `source` read as far as the test says, and what it logged. */
async function steppedDump(source: string) {
  const warnings: string[] = [];
  const log = createLogger("warn", { write: (line: string) => void warnings.push(line) });
  const dump = await createDirectoryDriver({ ...deps, log }).dump({ kind: "directory", path: source }, { format: "tar", signal: signal() });
  const chunks: Buffer[] = [];
  let read = 0;
  const it = dump.stream[Symbol.asyncIterator]();
  return {
    dump,
    logged: () => warnings.join(""),
    /** Reads until at least `bytes` of the archive have been read. */
    async readUpTo(bytes: number): Promise<void> {
      while (read < bytes) {
        const next = await it.next();
        chunks.push(next.value as Buffer);
        read += (next.value as Buffer).length;
      }
    },
    /** Reads the rest, waits for the dump to end and returns the whole archive. */
    async finish(): Promise<Buffer> {
      for (let next = await it.next(); !next.done; next = await it.next()) chunks.push(next.value as Buffer);
      await dump.done;
      return Buffer.concat(chunks);
    },
  };
}

/** Every entry of a tar archive, in order, with its body. */
async function entriesOf(archive: Buffer): Promise<Array<{ name: string; body: Buffer }>> {
  const entries: Array<{ name: string; body: Buffer }> = [];
  const extract = tar.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      const parts: Buffer[] = [];
      for await (const c of entry) parts.push(c as Buffer);
      entries.push({ name: entry.header.name, body: Buffer.concat(parts) });
    }
  })();
  await pipeline(Readable.from([archive]), extract);
  await reading;
  return entries;
}

async function openFilesUnder(dir: string): Promise<string[]> {
  const targets = await Promise.all((await readdir("/proc/self/fd")).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => "")));
  return targets.filter((t) => t.startsWith(`${dir}/`));
}

interface FakeEntry {
  name: string;
  type?: "file" | "symlink";
  linkname?: string;
  body?: string;
}

/** A tar built by hand, for hostile archives. */
async function tarOf(entries: FakeEntry[]): Promise<Readable> {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.type === "symlink") pack.entry({ name: e.name, type: "symlink", linkname: e.linkname ?? "" });
    else pack.entry({ name: e.name }, e.body ?? "");
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Readable.from([Buffer.concat(chunks)]);
}
