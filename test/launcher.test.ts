import { execFile, execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launcherLines, MALLOC_TUNABLES, NODE_FLAGS } from "../scripts/launcher.mjs";
import { ROOT } from "./helpers/workspace.js";

/**
 * The `tele-backup` command starts node itself (scripts/launcher.mjs): run as a program, by its
 * path or through a symlink, it is node in the same process with the flags and allocator
 * settings, the arguments arrive exactly as given, a caller's GLIBC_TUNABLES is kept, and the
 * built dist/main.js begins with it.
 */

const run = promisify(execFile);

/** What the probe below prints about its own process. */
interface Probe {
  pid: number;
  execArgv: string[];
  tunables: string | null;
  argv: string[];
  /** Minor page faults of a scrypt like MASTER_KEY's (N=2^16, r=8: 64 MiB), when asked for. */
  scryptFaults?: number;
}

const PROBE = `
import { scrypt } from "node:crypto";
const report = { pid: process.pid, execArgv: process.execArgv, tunables: process.env.GLIBC_TUNABLES ?? null, argv: process.argv.slice(2) };
if (process.argv[2] === "scrypt") {
  const before = process.resourceUsage().minorPageFault;
  scrypt("x", Buffer.alloc(16), 32, { N: 2 ** 16, r: 8, p: 1, maxmem: 256 * 2 ** 16 * 8 }, () => {
    console.log(JSON.stringify({ ...report, scryptFaults: process.resourceUsage().minorPageFault - before }));
  });
} else console.log(JSON.stringify(report));
`;

/** The kernel's transparent huge page mode (`always`, `madvise`, `never`), or undefined without THP. */
function thpMode(): string | undefined {
  try {
    return /\[(\w+)\]/.exec(readFileSync("/sys/kernel/mm/transparent_hugepage/enabled", "utf8"))?.[1];
  } catch {
    return undefined;
  }
}

/** The environment without the caller's allocator settings. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { GLIBC_TUNABLES: _, ...env } = process.env;
  return { ...env, ...extra };
}

describe("the launcher lines", () => {
  let dir: string;
  let probe: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tb-launcher-"));
    probe = path.join(dir, "probe.mjs");
    writeFileSync(probe, launcherLines() + PROBE);
    chmodSync(probe, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("run node in the same process with the flags and settings, the arguments untouched", async () => {
    const args = ["a b", "", "$HOME", "*", '"quoted"', "--help", "-x"];
    const child = spawn(probe, args, { env: cleanEnv(), stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    const code = await new Promise((resolve) => child.once("close", resolve));
    expect(code).toBe(0);
    const got = JSON.parse(out) as Probe;
    // exec, not a child: the pid a supervisor (tini, docker stop) signals is node's own.
    expect(got.pid).toBe(child.pid);
    expect(got.execArgv).toEqual(NODE_FLAGS);
    expect(got.tunables).toBe(MALLOC_TUNABLES);
    expect(got.argv).toEqual(args);
  });

  it("work through a symlink, as the image's /usr/local/bin/tele-backup", async () => {
    const link = path.join(dir, "tele-backup");
    symlinkSync(probe, link);
    const got = JSON.parse((await run(link, ["run"], { env: cleanEnv() })).stdout) as Probe;
    expect(got.execArgv).toEqual(NODE_FLAGS);
    expect(got.argv).toEqual(["run"]);
  });

  it("keep a caller's GLIBC_TUNABLES, after their own so that the caller's win", async () => {
    const got = JSON.parse((await run(probe, [], { env: cleanEnv({ GLIBC_TUNABLES: "glibc.malloc.hugetlb=0" }) })).stdout) as Probe;
    expect(got.tunables).toBe(`${MALLOC_TUNABLES}:glibc.malloc.hugetlb=0`);
  });

  it("back the master key's scrypt with huge pages: a fraction of the page faults", async () => {
    const mode = thpMode();
    if (mode !== "madvise" && mode !== "always") {
      console.warn(`[launcher test] transparent huge pages are ${mode ?? "absent"} on this kernel: the fault count is not checked`);
      return;
    }
    const faults = async (env: NodeJS.ProcessEnv) => (JSON.parse((await run(probe, ["scrypt"], { env })).stdout) as Probe).scryptFaults!;
    // 64 MiB in 4 KiB pages is 16,384 faults; in 2 MiB pages, 32 (and the allocator's own).
    expect(await faults(cleanEnv())).toBeLessThan(8_000);
    // The caller turned it off (and theirs wins): one fault per 4 KiB page again, unless the
    // kernel gives every process huge pages anyway.
    if (mode === "madvise") expect(await faults(cleanEnv({ GLIBC_TUNABLES: "glibc.malloc.hugetlb=0" }))).toBeGreaterThan(15_000);
  });
});

describe("the built command", () => {
  // Inside the project, as dist/ is: the bundle finds package.json, locales/ and node_modules/ up the tree.
  const out = path.join(ROOT, `.launcher-test-dist-${process.pid}`);
  beforeAll(() => {
    execFileSync(process.execPath, [path.join(ROOT, "scripts/build.mjs"), out], { cwd: ROOT, stdio: "inherit" });
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("begins with the launcher lines, is executable, and runs", async () => {
    const main = path.join(out, "main.js");
    expect(readFileSync(main, "utf8").startsWith(launcherLines())).toBe(true);
    expect(statSync(main).mode & 0o111).toBe(0o111);
    const r = await run(main, ["--help"], { env: cleanEnv() });
    expect(r.stdout).toMatch(/^Usage: tele-backup <command>/);
  });

  it("keeps its source map in step with the lines added above the code", () => {
    const map = JSON.parse(readFileSync(path.join(out, "main.js.map"), "utf8")) as { sources: string[]; mappings: string };
    const code = readFileSync(path.join(out, "main.js"), "utf8").split("\n");
    const line = code.findIndex((l) => l.startsWith("async function main("));
    const source = readFileSync(path.join(ROOT, "src/main.ts"), "utf8").split("\n");
    expect(line).toBeGreaterThan(0);
    expect(originalOf(map, line)).toEqual({ source: "../src/main.ts", line: source.findIndex((l) => l.startsWith("async function main(")) });
  });
});

/** Where the first segment of output line `line` (0-based) comes from: source and 0-based line. */
function originalOf(map: { sources: string[]; mappings: string }, line: number): { source: string; line: number } | undefined {
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  // Source index and original line are deltas across the whole map, so every segment before counts.
  let sourceIndex = 0;
  let origLine = 0;
  const lines = map.mappings.split(";");
  for (let i = 0; i <= line; i++) {
    for (const segment of lines[i]!.split(",").filter(Boolean)) {
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const digit = B64.indexOf(ch);
        value += (digit & 31) << shift;
        shift += 5;
        if (digit & 32) continue;
        fields.push(value & 1 ? -(value >> 1) : value >> 1);
        value = 0;
        shift = 0;
      }
      if (fields.length < 4) continue;
      sourceIndex += fields[1]!;
      origLine += fields[2]!;
      if (i === line) return { source: map.sources[sourceIndex]!, line: origLine };
    }
  }
  return undefined;
}
