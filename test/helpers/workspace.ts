import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildApp, type App, type BuildOptions } from "../../src/app.js";
import { loadConfig } from "../../src/config/env.js";
import { createLogger } from "../../src/logger.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const MAIN = path.join(ROOT, "src/main.ts");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Start it from a shell with this umask (e.g. "000"), as a user's shell would. */
  umask?: string;
  /**
   * Start it under `ulimit -f` (KiB) with SIGXFSZ ignored: a write past the limit fails with
   * EFBIG instead of killing the process, while the disk has room to spare.
   */
  fileSizeLimitKiB?: number;
}

/** A running `tele-backup <args>` process; `result` settles when it has exited (code -1: killed by a signal). */
export interface StartedCli {
  child: ChildProcess;
  result: Promise<CliResult>;
}

/** Starts `tele-backup <args>` as a child process with exactly `env`. */
export function startCli(env: NodeJS.ProcessEnv, args: string[], options: CliOptions = {}): StartedCli {
  const argv = [process.execPath, "--import", "tsx", MAIN, ...args];
  const prelude = [
    options.umask === undefined ? "" : `umask ${options.umask};`,
    options.fileSizeLimitKiB === undefined ? "" : `trap "" XFSZ; ulimit -f ${options.fileSizeLimitKiB};`,
  ].join(" ");
  const child = prelude.trim()
    ? spawn("bash", ["-c", `${prelude} exec "$@"`, "bash", ...argv], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] })
    : spawn(argv[0]!, argv.slice(1), { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const result = new Promise<CliResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  return { child, result };
}

/** A scratch DATA_DIR with its own environment, to drive the real CLI or build the app in-process. */
export interface Workspace {
  dir: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  /** Runs `tele-backup <args>` as a child process, exactly as a user would. */
  cli(args: string[], extraEnv?: NodeJS.ProcessEnv, options?: CliOptions): Promise<CliResult>;
  writeFile(name: string, text: string): string;
  /** Builds the app in this process (same composition as main.ts). */
  app(extraEnv?: NodeJS.ProcessEnv, options?: BuildOptions): Promise<App>;
  spoolEntries(): string[];
  /** Imports a new, empty directory source `restored-<n>` to restore into. */
  directoryTarget(): Promise<{ name: string; dir: string }>;
  remove(): void;
}

export function createWorkspace(env: NodeJS.ProcessEnv = {}): Workspace {
  const dir = mkdtempSync(path.join(tmpdir(), "tb-ws-"));
  const dataDir = path.join(dir, "data");
  const wsEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    ADMIN_IDS: "111",
    MASTER_KEY: "test-master-key-0123456789-abcdefXYZ",
    LOG_LEVEL: "silent",
    BOT_TOKEN: "",
    ...env,
  };
  const cli: Workspace["cli"] = (args, extraEnv = {}, options = {}) => startCli({ ...wsEnv, ...extraEnv }, args, options).result;
  let targets = 0;
  return {
    dir,
    dataDir,
    env: wsEnv,
    cli,
    writeFile(name, text) {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      return file;
    },
    app: async (extraEnv = {}, options = {}) => {
      const e = { ...wsEnv, ...extraEnv };
      const config = loadConfig(e);
      return buildApp(config, createLogger("silent"), e, options);
    },
    spoolEntries: () => {
      try {
        return readdirSync(path.join(dataDir, "spool"), { recursive: true }) as string[];
      } catch {
        return [];
      }
    },
    async directoryTarget() {
      const name = `restored-${++targets}`;
      const target = path.join(dir, name);
      mkdirSync(target);
      const file = path.join(dir, `${name}.yaml`);
      writeFileSync(file, `sources:\n  - { name: ${name}, kind: directory, path: ${target} }\n`);
      const r = await cli(["config", "import", file]);
      if (r.code !== 0) throw new Error(`config import of ${name} failed: ${r.stderr}`);
      return { name, dir: target };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs a shell pipeline (bash -o pipefail) and returns its stdout; rejects with stderr. */
export function sh(script: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-o", "pipefail", "-c", script], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.once("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
  });
}
