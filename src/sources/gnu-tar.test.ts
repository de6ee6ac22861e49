import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { writeTree } from "../../test/helpers/tree.js";
import { waitFor } from "../../test/helpers/wait.js";
import { archiveTree, tellProblems, unescapeName, type ArchiveTreeOptions } from "./gnu-tar.js";

let work: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "tb-gnu-tar-test-"));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

function options(extra: Partial<ArchiveTreeOptions> = {}) {
  const warnings: string[] = [];
  const changed: string[] = [];
  return {
    warnings,
    changed,
    options: { signal: new AbortController().signal, warn: (entry: string, message: string) => void warnings.push(`${entry}: ${message}`), changed: (e: string) => void changed.push(e), ...extra },
  };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Every entry of a tar archive, in order, with its body. */
async function entriesOf(archive: Buffer): Promise<Array<{ name: string; type: string; body: Buffer }>> {
  const entries: Array<{ name: string; type: string; body: Buffer }> = [];
  const extract = tar.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      const parts: Buffer[] = [];
      for await (const c of entry) parts.push(c as Buffer);
      entries.push({ name: entry.header.name, type: entry.header.type ?? "file", body: Buffer.concat(parts) });
    }
  })();
  await pipeline(Readable.from([archive]), extract);
  await reading;
  return entries;
}

/** The archive written into a `cat` child's stdin by tar itself (pipeInto), as the compressor gets it. */
async function archivedThroughCat(root: string, opts: ArchiveTreeOptions) {
  const cat = spawn("cat", [], { stdio: ["pipe", "pipe", "inherit"] });
  const archive = archiveTree(root, opts);
  archive.pipeInto(cat.stdin);
  cat.stdin.destroy(); // our end: cat sees the end of input when tar exits
  const [bytes, count] = await Promise.all([readAll(cat.stdout), archive.done]);
  return { bytes, count, archive };
}

describe("archiveTree: a folder archived by GNU tar", () => {
  test("read here or written by tar into another child's stdin, the archive is the same: every entry, sorted, files counted from tar's listing, its exact size", async () => {
    await writeTree(path.join(work, "src"), { "b.txt": "bee\n", "a/z.bin": randomBytes(300_000), "a/y.txt": "why\n", empty: { dir: true }, "a/link": { symlink: "y.txt" } });
    const root = path.join(work, "src");
    const read = archiveTree(root, options().options);
    const streamed = await readAll(read.stream);
    const streamedCount = await read.done;
    const piped = await archivedThroughCat(root, options().options);

    expect(piped.bytes.equals(streamed)).toBe(true);
    expect((await entriesOf(streamed)).map((e) => [e.name, e.type])).toEqual([
      ["a/", "directory"],
      ["a/link", "symlink"],
      ["a/y.txt", "file"],
      ["a/z.bin", "file"],
      ["b.txt", "file"],
      ["empty/", "directory"],
    ]);
    const expectedCount = { files: 3, bytes: 4 + 300_000 + 4 };
    expect(streamedCount).toEqual(expectedCount);
    expect(piped.count).toEqual(expectedCount);
    expect(read.bytesWritten()).toBe(streamed.length);
    expect(piped.archive.bytesWritten()).toBe(streamed.length);
  });

  test("names that look like tar options are archived as names, never obeyed", async () => {
    const root = path.join(work, "src");
    await writeTree(root, { "--remove-files": "1", "-C": "2", "--to-command=touch pwned": "3", "@list": "4" });
    const { bytes } = await archivedThroughCat(root, options().options);
    expect((await entriesOf(bytes)).map((e) => e.name)).toEqual(["--remove-files", "--to-command=touch pwned", "-C", "@list"]);
    expect((await readdir(root)).sort()).toEqual(["--remove-files", "--to-command=touch pwned", "-C", "@list"]);
    expect(await readdir(work)).toEqual(["src"]);
  });

  test("sockets and FIFOs are left out with a warning; the rest is archived", async () => {
    const root = path.join(work, "src");
    await writeTree(root, { "keep.txt": "kept" });
    execFileSync("mkfifo", [path.join(root, "fifo")]);
    const server = net.createServer().listen(path.join(root, "sock"));
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const o = options();
      const { bytes, count } = await archivedThroughCat(root, o.options);
      expect((await entriesOf(bytes)).map((e) => e.name)).toEqual(["keep.txt"]);
      expect(count).toEqual({ files: 1, bytes: 4 });
      expect(o.warnings.sort()).toEqual(["fifo: is a socket, FIFO or device; skipped", "sock: is a socket, FIFO or device; skipped"]);
    } finally {
      server.close();
    }
  });

  test("a file that changes while tar reads it is reported by its own name (tar's quoting undone), and the archive completes", async () => {
    const root = path.join(work, "src");
    const name = "данные 📦\\x.bin";
    await writeTree(root, { [name]: randomBytes(32 * 1024 * 1024), "z.txt": "last" });
    const o = options();
    const archive = archiveTree(root, o.options);
    const it = archive.stream[Symbol.asyncIterator]();
    let read = 0;
    const chunks: Buffer[] = [];
    while (read < 2 * 1024 * 1024) {
      const next = await it.next();
      chunks.push(next.value as Buffer);
      read += (next.value as Buffer).length;
    }
    // tar is inside the file (held back by the pipe): write to it behind its back.
    await writeFile(path.join(root, name), "rewritten");
    for (let next = await it.next(); !next.done; next = await it.next()) chunks.push(next.value as Buffer);
    await archive.done;
    expect(o.changed).toEqual([name]);
    expect(o.warnings.join("\n")).toContain(`${name}: `);
    expect((await entriesOf(Buffer.concat(chunks))).map((e) => e.name)).toEqual(["z.txt", name]); // sorted by bytes
  });

  test("tar killed halfway fails the archive, read here or piped: the stream errors, done says so", async () => {
    const root = path.join(work, "src");
    await writeTree(root, { "big.bin": randomBytes(24 * 1024 * 1024) });
    const tarsBefore = await tarPids();

    const newTar = () => waitFor("tar to run", async () => (await tarPids()).find((p) => !tarsBefore.includes(p)), 5000, 20);

    const read = archiveTree(root, options().options);
    const it = read.stream[Symbol.asyncIterator]();
    await it.next();
    process.kill(await newTar(), "SIGKILL"); // held back by the pipe, mid-file
    await expect(
      (async () => {
        for (let next = await it.next(); !next.done; next = await it.next());
      })(),
    ).rejects.toThrow("tar was killed by SIGKILL");
    await expect(read.done).rejects.toThrow("tar was killed by SIGKILL");

    // Piped: the other child's output is not read until tar is killed, so tar is held back mid-file.
    const cat = spawn("cat", [], { stdio: ["pipe", "pipe", "inherit"] });
    const piped = archiveTree(root, options().options);
    piped.pipeInto(cat.stdin);
    cat.stdin.destroy();
    process.kill(await newTar(), "SIGKILL");
    const made = await readAll(cat.stdout);
    expect(made.length).toBeLessThan(24 * 1024 * 1024);
    await expect(piped.done).rejects.toThrow("tar was killed by SIGKILL");
    expect((await tarPids()).filter((p) => !tarsBefore.includes(p))).toEqual([]);
  });

  test("a stream destroyed before its end stops tar; an abort stops it too, with the abort's reason", async () => {
    const root = path.join(work, "src");
    await writeTree(root, { "big.bin": randomBytes(8 * 1024 * 1024) });
    const tarsBefore = await tarPids();
    const gone = archiveTree(root, options().options);
    for await (const _ of gone.stream) break;
    await expect(gone.done).rejects.toThrow("the reader closed the stream before its end");

    const controller = new AbortController();
    const aborted = archiveTree(root, options({ signal: controller.signal }).options);
    aborted.stream.resume();
    controller.abort(new Error("cancelled by the user"));
    await expect(aborted.done).rejects.toThrow("cancelled by the user");
    await waitFor("no tar left", async () => (await tarPids()).filter((p) => !tarsBefore.includes(p)).length === 0, 5000, 20);
  });

  test("without GNU tar on PATH the archive fails saying so, read here or piped", async () => {
    const root = path.join(work, "src");
    await writeTree(root, { "a.txt": "a" });
    const path0 = process.env.PATH;
    process.env.PATH = path.join(work, "no-tools-here");
    try {
      const read = archiveTree(root, options().options);
      await expect(readAll(read.stream)).rejects.toThrow("cannot run tar: GNU tar is not installed or not on PATH");
      await expect(read.done).rejects.toThrow("cannot run tar: GNU tar is not installed or not on PATH");
      const cat = spawn("/bin/cat", [], { stdio: ["pipe", "pipe", "inherit"] });
      const piped = archiveTree(root, options().options);
      piped.pipeInto(cat.stdin);
      cat.stdin.destroy();
      expect((await readAll(cat.stdout)).length).toBe(0);
      await expect(piped.done).rejects.toThrow("cannot run tar: GNU tar is not installed or not on PATH");
    } finally {
      process.env.PATH = path0;
    }
  });

  test("a failure names tar's first five problems and counts the rest", () => {
    const problems = Array.from({ length: 8 }, (_, i) => `cannot open f${i}: Permission denied`);
    expect(tellProblems(problems.slice(0, 2))).toBe("cannot open f0: Permission denied; cannot open f1: Permission denied");
    expect(tellProblems(problems)).toBe(`${problems.slice(0, 5).join("; ")}; and 3 more`);
  });

  test("tar's quoting of names in its messages is undone", () => {
    expect(unescapeName("plain name.txt")).toBe("plain name.txt");
    expect(unescapeName("\\320\\264\\320\\260 x.bin")).toBe("да x.bin");
    expect(unescapeName("a\\\\b\\nc\\td")).toBe("a\\b\nc\td");
  });
});

/** Pids of `tar` processes that are children of this process. */
async function tarPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const m = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
    if (m && m[1] === "tar" && Number(m[2]) === process.pid) pids.push(Number(entry));
  }
  return pids;
}
