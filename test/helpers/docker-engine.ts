import { spawn, spawnSync } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import { findExecutable, isAlive, withDirLock } from "./host.js";
import tar from "tar-stream";
import { inject } from "vitest";
import { createDockerClient } from "../../src/docker/client.js";

/**
 * A real Docker Engine for the test suites (see /work/shared/recipes/docker-engine.md).
 * `test/global-setup.ts` calls `startTestDockerEngine()` once per run and hands the result to
 * the test workers with `provide`; suites call `testDocker()`.
 */

export const TEST_HELPER_IMAGE = "localhost/tb-helper:latest";
export const ENGINE_DIR = "/tmp/tele-backup-test-docker";
export const INSTALL_HINT = "apt-get install docker.io busybox-static";
/** Applets linked in the helper image (busybox-static in a tiny rootfs). */
const APPLETS = ["sh", "tar", "ls", "cat", "echo", "mkdir", "rm", "cp", "sleep", "true", "id", "find", "stat", "touch", "chmod", "ln"];

declare module "vitest" {
  export interface ProvidedContext {
    /** DOCKER_HOST of the test engine (`unix://...`); "" when it is unavailable. */
    dockerHost: string;
    /** A local image with busybox at /bin: `localhost/tb-helper:latest`. */
    dockerHelperImage: string;
    /** Why no engine is available (with what to install); "" when it runs. */
    dockerError: string;
  }
}

/** The engine cannot be used here; the message says what to install or run. */
export class DockerEngineUnavailable extends Error {
  override name = "DockerEngineUnavailable";
}

export interface TestDockerEngine {
  /** `unix:///tmp/tele-backup-test-docker/docker.sock` or the DOCKER_HOST that already answered. */
  host: string;
  helperImage: string;
  /** True when this run started the daemon (and will stop it in `stop`). */
  startedHere: boolean;
  /** Stops the daemon if this run started it and no other test run still uses it. */
  stop(): Promise<void>;
}

export interface StartOptions {
  dir?: string;
  log?: (line: string) => void;
}

/**
 * Uses DOCKER_HOST when it answers; otherwise reuses or starts a private dockerd under `dir`
 * (root only). Imports the helper image when missing. Throws DockerEngineUnavailable.
 */
export async function startTestDockerEngine(options: StartOptions = {}): Promise<TestDockerEngine> {
  const dir = options.dir ?? ENGINE_DIR;
  const log = options.log ?? (() => undefined);

  const given = process.env.DOCKER_HOST;
  if (given && (await answers(given))) {
    log(`using the engine at DOCKER_HOST=${given}`);
    await ensureHelperImage(createDockerClient(given), log);
    return { host: given, helperImage: TEST_HELPER_IMAGE, startedHere: false, stop: async () => undefined };
  }

  const host = `unix://${path.join(dir, "docker.sock")}`;
  await mkdir(path.join(dir, "leases"), { recursive: true });
  const lease = path.join(dir, "leases", String(process.pid));
  await writeFile(lease, "");
  let startedPid: number | undefined;
  try {
    startedPid = await withStartLock(dir, async () => ((await answers(host)) ? undefined : startDaemon(dir, host, log)));
    if (startedPid === undefined) log(`reusing the engine at ${host}`);
    await ensureHelperImage(createDockerClient(host), log);
  } catch (err) {
    await unlink(lease).catch(() => undefined);
    if (startedPid !== undefined) await stopDaemon(dir, startedPid);
    throw err;
  }
  return {
    host,
    helperImage: TEST_HELPER_IMAGE,
    startedHere: startedPid !== undefined,
    stop: async () => {
      await unlink(lease).catch(() => undefined);
      if (startedPid === undefined) return;
      if ((await liveLeases(dir)).length > 0) {
        log(`leaving the engine at ${host} running: another test run uses it`);
        return;
      }
      await stopDaemon(dir, startedPid);
    },
  };
}

/** In a test file: the engine started by globalSetup, or a loud failure saying what to install. */
export function testDocker(): { docker: Docker; host: string; helperImage: string } {
  const error = inject("dockerError");
  const host = inject("dockerHost");
  if (error || !host) throw new DockerEngineUnavailable(error || "test/global-setup.ts did not provide a Docker engine");
  return { docker: createDockerClient(host), host, helperImage: inject("dockerHelperImage") };
}

async function answers(host: string): Promise<boolean> {
  try {
    const docker = createDockerClient(host);
    await (docker.ping as (opts: { abortSignal: AbortSignal }) => Promise<unknown>).call(docker, { abortSignal: AbortSignal.timeout(3000) });
    return true;
  } catch {
    return false;
  }
}

/** Starts dockerd exactly like the recipe and waits for /_ping; returns its pid. */
async function startDaemon(dir: string, host: string, log: (line: string) => void): Promise<number> {
  const dockerd = await findExecutable("dockerd");
  const problems = [
    ...(dockerd ? [] : ["dockerd is not installed"]),
    ...(process.getuid?.() === 0 ? [] : ["the tests do not run as root (dockerd needs root)"]),
  ];
  if (problems.length > 0 || !dockerd) {
    throw new DockerEngineUnavailable(
      `no Docker engine for the volume tests: ${problems.join(" and ")}. Install one with \`${INSTALL_HINT}\` and run the tests as root, or set DOCKER_HOST to a running engine.`,
    );
  }
  await mkdir(path.join(dir, "root"), { recursive: true });
  await mkdir(path.join(dir, "exec"), { recursive: true });
  const logFile = path.join(dir, "dockerd.log");
  const out = await open(logFile, "a");
  const started = Date.now();
  // --iptables=false --bridge=none: no docker0 bridge and no iptables rules on the host.
  const child = spawn(
    dockerd,
    [
      "--host", host,
      "--data-root", path.join(dir, "root"),
      "--exec-root", path.join(dir, "exec"),
      "--pidfile", path.join(dir, "dockerd.pid"),
      "--iptables=false",
      "--bridge=none",
    ],
    { detached: true, stdio: ["ignore", out.fd, out.fd] },
  );
  child.unref();
  await out.close();
  let exited: string | undefined;
  child.once("exit", (code, sig) => (exited = `exited with ${code ?? sig}`));
  child.once("error", (err) => (exited = err.message));
  for (;;) {
    if (await answers(host)) break;
    if (exited !== undefined || Date.now() - started > 30_000) {
      const tail = (await readFile(logFile, "utf8").catch(() => "")).split("\n").slice(-15).join("\n");
      if (exited === undefined && child.pid) process.kill(child.pid, "SIGTERM");
      throw new DockerEngineUnavailable(`dockerd ${exited ?? "did not answer within 30 s"}; last lines of ${logFile}:\n${tail}`);
    }
    await sleep(100);
  }
  log(`started dockerd (pid ${child.pid}) at ${host} in ${Date.now() - started} ms`);
  return child.pid!;
}

async function stopDaemon(dir: string, pid: number): Promise<void> {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  for (let waited = 0; isAlive(pid) && waited < 20_000; waited += 100) await sleep(100);
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
  spawnSync("umount", [path.join(dir, "exec", "netns", "default")], { stdio: "ignore" });
}

async function liveLeases(dir: string): Promise<number[]> {
  const pids = (await readdir(path.join(dir, "leases")).catch(() => [])).map(Number).filter((p) => Number.isInteger(p) && p > 0);
  const live: number[] = [];
  for (const pid of pids) {
    if (isAlive(pid)) live.push(pid);
    else await unlink(path.join(dir, "leases", String(pid))).catch(() => undefined);
  }
  return live;
}

/** Serializes "is it up? else start it" between test runs that begin at the same time. */
function withStartLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  return withDirLock(path.join(dir, "start.lock"), { orphanAfterMs: 5000, giveUpAfterMs: 90_000, pollMs: 100 }, fn);
}

/** Imports `localhost/tb-helper:latest` (busybox-static in a tiny rootfs) when the engine lacks it. */
async function ensureHelperImage(docker: Docker, log: (line: string) => void): Promise<void> {
  if (await docker.getImage(TEST_HELPER_IMAGE).inspect().then(() => true, () => false)) return;
  const busybox = (await findExecutable("busybox")) ?? "";
  if (!busybox) {
    throw new DockerEngineUnavailable(`busybox is not installed, so the helper image ${TEST_HELPER_IMAGE} cannot be made. Install it with \`${INSTALL_HINT}\`.`);
  }
  const rootfs = tar.pack();
  const mtime = new Date();
  const producing = (async () => {
    for (const d of ["bin", "data", "etc"]) rootfs.entry({ name: `${d}/`, type: "directory", mode: 0o755, mtime });
    rootfs.entry({ name: "tmp/", type: "directory", mode: 0o1777, mtime });
    const size = (await stat(busybox)).size;
    await pipeline(createReadStream(busybox), rootfs.entry({ name: "bin/busybox", type: "file", mode: 0o755, size, mtime }));
    for (const applet of APPLETS) rootfs.entry({ name: `bin/${applet}`, type: "symlink", linkname: "busybox", mtime });
    rootfs.finalize();
  })();
  const progress = await docker.importImage(rootfs as unknown as NodeJS.ReadableStream, {
    repo: "localhost/tb-helper",
    tag: "latest",
    changes: ['CMD ["/bin/sh"]'],
  });
  const events = await new Promise<Array<{ error?: string }>>((resolve, reject) =>
    docker.modem.followProgress(progress, (err: Error | null, out: Array<{ error?: string }>) => (err ? reject(err) : resolve(out))),
  );
  await producing;
  const failed = events.find((e) => e.error);
  if (failed) throw new Error(`importing ${TEST_HELPER_IMAGE} failed: ${failed.error}`);
  await docker.getImage(TEST_HELPER_IMAGE).inspect();
  log(`imported ${TEST_HELPER_IMAGE} from ${busybox}`);
}
