import { createHash, randomBytes } from "node:crypto";
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { chmod, lstat, mkdir, readdir, readlink, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";

/** What a tree holds at one relative path (posix separators, no leading `./`). */
export type TreeEntry =
  | { type: "file"; mode: number; size: number; sha256: string; uid?: number; gid?: number; mtime?: number }
  | { type: "dir"; mode: number; uid?: number; gid?: number }
  | { type: "symlink"; target: string; uid?: number; gid?: number }
  | { type: "other"; mode: number };

/** Everything under a root (the root itself excluded), keyed by relative path, keys sorted. */
export type TreeSnapshot = Record<string, TreeEntry>;

export interface SnapshotOptions {
  /** Record uid/gid (compare ownership). Default false. */
  owner?: boolean;
  /** Record file mtimes in whole seconds (tar precision). Default false. */
  mtime?: boolean;
}

/** Walks `root` without following symlinks; file contents are hashed as streams. */
export async function snapshotTree(root: string, options: SnapshotOptions = {}): Promise<TreeSnapshot> {
  const out: TreeSnapshot = {};
  async function walk(abs: string, rel: string): Promise<void> {
    for (const name of (await readdir(abs)).sort()) {
      const childAbs = path.join(abs, name);
      const childRel = rel ? `${rel}/${name}` : name;
      const st = await lstat(childAbs);
      const owner = options.owner ? { uid: st.uid, gid: st.gid } : {};
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        out[childRel] = { type: "dir", mode, ...owner };
        await walk(childAbs, childRel);
      } else if (st.isSymbolicLink()) {
        out[childRel] = { type: "symlink", target: await readlink(childAbs), ...owner };
      } else if (st.isFile()) {
        const mtime = options.mtime ? { mtime: Math.floor(st.mtimeMs / 1000) } : {};
        out[childRel] = { type: "file", mode, size: st.size, sha256: await sha256File(childAbs), ...owner, ...mtime };
      } else {
        out[childRel] = { type: "other", mode };
      }
    }
  }
  await walk(root, "");
  return out;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

/** Human-readable differences, `[]` when equal: `expect(diffTrees(a, b)).toEqual([])`. */
export function diffTrees(expected: TreeSnapshot, actual: TreeSnapshot): string[] {
  const diffs: string[] = [];
  for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
    const e = expected[key];
    const a = actual[key];
    if (!a) diffs.push(`missing: ${key}`);
    else if (!e) diffs.push(`unexpected: ${key}`);
    else if (JSON.stringify(sorted(e)) !== JSON.stringify(sorted(a))) {
      diffs.push(`differs: ${key}: expected ${describe(e)}, got ${describe(a)}`);
    }
  }
  return diffs.sort();
}

function sorted(entry: TreeEntry): Array<[string, unknown]> {
  return Object.entries(entry).sort(([x], [y]) => x.localeCompare(y));
}

function describe(entry: TreeEntry): string {
  return JSON.stringify(entry, (k, v: unknown) => (k === "mode" && typeof v === "number" ? `0${v.toString(8)}` : v));
}

/** What `writeTree` creates at one path. A string or Buffer is a file with mode 0644. */
export type TreeSpecEntry =
  | string
  | Buffer
  | { content: string | Buffer; mode?: number }
  | { dir: true; mode?: number }
  | { symlink: string };

/**
 * Creates the described tree under `root` (parents as needed, modes applied after writing, so
 * the umask does not interfere). Keys are relative paths with `/`.
 */
export async function writeTree(root: string, spec: Record<string, TreeSpecEntry>): Promise<void> {
  await mkdir(root, { recursive: true });
  const modes: Array<[string, number]> = [];
  for (const [rel, entry] of Object.entries(spec)) {
    const abs = path.join(root, rel);
    await mkdir(path.dirname(abs), { recursive: true });
    if (typeof entry === "string" || Buffer.isBuffer(entry)) {
      await writeFile(abs, entry);
      modes.push([abs, 0o644]);
    } else if ("content" in entry) {
      await writeFile(abs, entry.content);
      modes.push([abs, entry.mode ?? 0o644]);
    } else if ("dir" in entry) {
      await mkdir(abs, { recursive: true });
      modes.push([abs, entry.mode ?? 0o755]);
    } else {
      await symlink(entry.symlink, abs);
    }
  }
  for (const [abs, mode] of modes.reverse()) await chmod(abs, mode);
}

/** Flips one byte of a file in place (a damaged copy). */
export function flipByte(file: string, offset = 4321): void {
  const bytes = readFileSync(file);
  bytes[offset] = bytes[offset]! ^ 0xff;
  writeFileSync(file, bytes);
}

/** ~3.3 MiB of incompressible bytes in a small tree: four parts at a part size of 1 MiB. */
export function writeFourPartTree(dir: string): void {
  mkdirSync(path.join(dir, "sub"), { recursive: true });
  writeFileSync(path.join(dir, "a.bin"), randomBytes(1_500_000));
  writeFileSync(path.join(dir, "sub", "b.bin"), randomBytes(1_800_000));
  writeFileSync(path.join(dir, "notes.txt"), "keep me — сохрани меня\n");
}
