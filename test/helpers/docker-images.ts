import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { findExecutable, withDirLock } from "./host.js";
import { DockerEngineUnavailable, ENGINE_DIR } from "./docker-engine.js";

/**
 * Base images for building the project's Dockerfile with no container registry, made from
 * what this machine already has:
 * - a Debian bookworm root file system made by `debootstrap` from the host's own apt mirror,
 *   imported as `localhost/tb-bookworm-base:<key>`, with the host's apt sources and CA bundle;
 * - a Node.js image `localhost/tb-node:<version>-bookworm-<key>` from the host's `node` binary,
 *   npm and Node headers (so node-gyp compiles native addons without downloading anything).
 * Both are cached in the engine by tag: made once (a cold debootstrap takes about a minute),
 * then reused by every run. They are stand-ins for tests only, never published.
 */

export const BASE_REPO = "localhost/tb-bookworm-base";
export const NODE_REPO = "localhost/tb-node";
export const IMAGE_INSTALL_HINT = "apt-get install debootstrap docker.io";
/** Bump when the way the images are made changes, so stale ones are not reused. */
const RECIPE_VERSION = "1";
const CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
const IN_IMAGE_CA = "/usr/local/share/ca-certificates/host-ca-bundle.crt";

export interface ImageContext {
  docker: Docker;
  /** DOCKER_HOST for the `docker` command line (`unix://...`). */
  host: string;
  log?: (line: string) => void;
  /** Scratch space on a real file system (debootstrap, build contexts, logs). */
  workDir?: string;
}

/** A `docker` command failed; `output` holds its last lines. */
export class DockerCommandError extends Error {
  override name = "DockerCommandError";
  constructor(
    readonly args: string[],
    readonly code: number | null,
    readonly output: string,
  ) {
    super(`docker ${args.join(" ")} failed (exit ${code}):\n${output.split("\n").slice(-40).join("\n")}`);
  }
}

/** The Node.js image to pass as the Dockerfile's NODE_IMAGE; made when missing. */
export async function ensureNodeImage(ctx: ImageContext): Promise<string> {
  const log = ctx.log ?? (() => undefined);
  const work = ctx.workDir ?? path.join(ENGINE_DIR, "images");
  await mkdir(work, { recursive: true });
  const key = await recipeKey();
  const nodeTag = `${NODE_REPO}:${process.versions.node}-bookworm-${key}`;
  if (await hasImage(ctx.docker, nodeTag)) return nodeTag;
  return withLock(path.join(work, "make.lock"), async () => {
    if (await hasImage(ctx.docker, nodeTag)) return nodeTag;
    const baseTag = `${BASE_REPO}:${key}`;
    if (!(await hasImage(ctx.docker, baseTag))) await makeBaseImage(ctx, baseTag, work, log);
    await makeNodeImage(ctx, baseTag, nodeTag, work, log);
    return nodeTag;
  });
}

export interface BuildOptions {
  /** The build context (the project root). */
  context: string;
  tag: string;
  buildArgs?: Record<string, string>;
  /** Where the full build output goes. */
  logFile: string;
  /**
   * Stages other than the last whose results are tagged `<tag>-<stage>`, so that they stay
   * in the engine as the build cache while stale leftovers of earlier builds are pruned.
   */
  cacheStages?: string[];
}

/**
 * `docker build --network host` (the test engine has no bridge network) with the classic
 * builder, which Debian's docker.io and every newer CLI both have. Layers are cached by the
 * engine, so a rebuild after a source change only redoes the TypeScript build. Afterwards the
 * untagged images of earlier builds are removed: with `cacheStages` tagged, those are only
 * stale layers, and the engine's disk does not grow with every dependency change.
 */
export async function buildImage(ctx: ImageContext, options: BuildOptions): Promise<void> {
  const common = ["build", "--network", "host"];
  for (const [k, v] of Object.entries(options.buildArgs ?? {})) common.push("--build-arg", `${k}=${v}`);
  await mkdir(path.dirname(options.logFile), { recursive: true });
  await writeFile(options.logFile, "");
  await dockerCli(ctx.host, [...common, "-t", options.tag, options.context], { logFile: options.logFile });
  // Every step is cached by now: these only put tags on the intermediate stages.
  for (const stage of options.cacheStages ?? []) {
    await dockerCli(ctx.host, [...common, "--target", stage, "-t", `${options.tag}-${stage}`, options.context], { logFile: options.logFile });
  }
  await ctx.docker.pruneImages({ filters: { dangling: { true: true } } }).catch(() => undefined);
}

async function makeBaseImage(ctx: ImageContext, tag: string, work: string, log: (line: string) => void): Promise<void> {
  const debootstrap = await findExecutable("debootstrap");
  if (!debootstrap) {
    throw new DockerEngineUnavailable(`debootstrap is not installed, so the Debian base image ${tag} cannot be made. Install it with \`${IMAGE_INSTALL_HINT}\`.`);
  }
  if (process.getuid?.() !== 0) throw new DockerEngineUnavailable(`making ${tag} with debootstrap needs root`);
  const mirror = await hostDebianMirror();
  const rootfs = path.join(work, "rootfs");
  await rm(rootfs, { recursive: true, force: true });
  const started = Date.now();
  log(`debootstrap bookworm from ${mirror} (about a minute, once)`);
  await run(debootstrap, ["--variant=minbase", "bookworm", rootfs, mirror], { logFile: path.join(work, "debootstrap.log") });

  // The same apt sources as the host (main, updates, security).
  if (existsSync("/etc/apt/sources.list.d/debian.sources")) {
    await rm(path.join(rootfs, "etc/apt/sources.list"), { force: true });
    await cp("/etc/apt/sources.list.d/debian.sources", path.join(rootfs, "etc/apt/sources.list.d/debian.sources"));
  } else {
    await cp("/etc/apt/sources.list", path.join(rootfs, "etc/apt/sources.list"));
  }
  // Trust what the host trusts: where outgoing TLS is intercepted, the host bundle holds that CA.
  const changes = ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 'CMD ["bash"]'];
  if (existsSync(CA_BUNDLE)) {
    await mkdir(path.join(rootfs, path.dirname(IN_IMAGE_CA)), { recursive: true });
    await cp(CA_BUNDLE, path.join(rootfs, IN_IMAGE_CA));
    changes.push(`ENV NODE_EXTRA_CA_CERTS=${IN_IMAGE_CA}`);
  }
  await rm(path.join(rootfs, "var/cache/apt/archives"), { recursive: true, force: true });
  await rm(path.join(rootfs, "var/lib/apt/lists"), { recursive: true, force: true });
  await mkdir(path.join(rootfs, "var/cache/apt/archives/partial"), { recursive: true });
  await mkdir(path.join(rootfs, "var/lib/apt/lists/partial"), { recursive: true });

  const [repo, version] = tag.split(":") as [string, string];
  const tarball = spawn("tar", ["--numeric-owner", "-C", rootfs, "-c", "."], { stdio: ["ignore", "pipe", "pipe"] });
  let tarErr = "";
  tarball.stderr.setEncoding("utf8").on("data", (d: string) => (tarErr += d));
  const progress = await ctx.docker.importImage(tarball.stdout, { repo, tag: version, changes });
  const events = await new Promise<Array<{ error?: string }>>((resolve, reject) =>
    ctx.docker.modem.followProgress(progress, (err: Error | null, out: Array<{ error?: string }>) => (err ? reject(err) : resolve(out))),
  );
  const tarCode = await new Promise<number | null>((resolve) => (tarball.exitCode !== null ? resolve(tarball.exitCode) : tarball.once("close", resolve)));
  const failed = events.find((e) => e.error);
  if (failed || tarCode !== 0) throw new Error(`importing ${tag} failed: ${failed?.error ?? tarErr}`);
  await rm(rootfs, { recursive: true, force: true });
  log(`made ${tag} in ${Math.round((Date.now() - started) / 1000)} s`);
}

async function makeNodeImage(ctx: ImageContext, baseTag: string, tag: string, work: string, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  const dir = await mkdtemp(path.join(work, "node-"));
  try {
    const nodeBin = await realpath(process.execPath);
    const npmDir = await npmRoot();
    const headers = await nodeHeaders();
    await cp(nodeBin, path.join(dir, "node"));
    await cp(npmDir, path.join(dir, "npm"), { recursive: true, verbatimSymlinks: true });
    await cp(headers, path.join(dir, "include"), { recursive: true });
    await writeFile(
      path.join(dir, "Dockerfile"),
      [
        `FROM ${baseTag}`,
        "COPY node /usr/local/bin/node",
        "COPY npm /usr/local/lib/node_modules/npm",
        "COPY include /usr/local/include/node",
        "RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\",
        " && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\",
        " && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node",
        // node-gyp builds against these headers instead of downloading them (nothing but the npm
        // registry and Debian's mirror is reachable here).
        "ENV npm_config_nodedir=/usr/local npm_config_update_notifier=false",
        'CMD ["node"]',
        "",
      ].join("\n"),
    );
    await dockerCli(ctx.host, ["build", "--network", "host", "-t", tag, dir], { logFile: path.join(work, "node-image.log") });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  log(`made ${tag} from ${process.execPath} (Node ${process.version}) in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** Changes when the host's apt sources or this recipe change. */
async function recipeKey(): Promise<string> {
  const sources = await readFile("/etc/apt/sources.list.d/debian.sources", "utf8").catch(() => readFile("/etc/apt/sources.list", "utf8").catch(() => ""));
  return createHash("sha256").update(`${RECIPE_VERSION}\n${sources}`).digest("hex").slice(0, 12);
}

async function hostDebianMirror(): Promise<string> {
  const sources = await readFile("/etc/apt/sources.list.d/debian.sources", "utf8").catch(() => "");
  const fromDeb822 = /^URIs:\s*(\S+)/m.exec(sources)?.[1];
  if (fromDeb822) return fromDeb822;
  const list = await readFile("/etc/apt/sources.list", "utf8").catch(() => "");
  const fromList = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/m.exec(list)?.[1];
  if (fromList) return fromList;
  throw new DockerEngineUnavailable("cannot find this machine's Debian mirror in /etc/apt/sources.list(.d): the base image is made from it with debootstrap");
}

async function npmRoot(): Promise<string> {
  const candidates = [path.resolve(path.dirname(process.execPath), "../lib/node_modules/npm"), "/usr/lib/node_modules/npm", "/usr/local/lib/node_modules/npm"];
  for (const c of candidates) if (existsSync(path.join(c, "bin/npm-cli.js"))) return realpath(c);
  throw new DockerEngineUnavailable(`cannot find npm next to ${process.execPath} (looked in ${candidates.join(", ")})`);
}

async function nodeHeaders(): Promise<string> {
  const candidates = [path.resolve(path.dirname(process.execPath), "../include/node"), "/usr/include/node", "/usr/local/include/node"];
  for (const c of candidates) if (existsSync(path.join(c, "node.h"))) return c;
  throw new DockerEngineUnavailable(`cannot find the Node.js headers (node.h) for ${process.execPath} (looked in ${candidates.join(", ")})`);
}

async function hasImage(docker: Docker, tag: string): Promise<boolean> {
  return docker.getImage(tag).inspect().then(() => true, () => false);
}

/** Runs the `docker` command line against `host`; output goes to `logFile`, its tail into the error. */
export async function dockerCli(host: string, args: string[], options: { logFile?: string } = {}): Promise<string> {
  const docker = await findExecutable("docker");
  if (!docker) throw new DockerEngineUnavailable(`the docker command line is not installed. Install it with \`${IMAGE_INSTALL_HINT}\`.`);
  // The classic builder: newer CLIs want the buildx plugin for BuildKit, which is not installed here.
  const env = { ...process.env, DOCKER_HOST: host, DOCKER_BUILDKIT: "0", DOCKER_CLI_HINTS: "false" };
  try {
    return await run(docker, args, { env, logFile: options.logFile });
  } catch (err) {
    if (err instanceof RunError) throw new DockerCommandError(args, err.code, err.output);
    throw err;
  }
}

class RunError extends Error {
  constructor(
    readonly code: number | null,
    readonly output: string,
  ) {
    super(`exit ${code}`);
  }
}

/** Spawns a command, collects stdout+stderr (and appends them to `logFile`); rejects with RunError. */
function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; logFile?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    const file = options.logFile ? createWriteStream(options.logFile, { flags: "a" }) : undefined;
    file?.write(`\n$ ${path.basename(command)} ${args.join(" ")}\n`);
    let output = "";
    const onData = (d: Buffer) => {
      file?.write(d);
      output += d.toString("utf8");
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("error", (err) => {
      file?.end();
      reject(err);
    });
    child.once("close", (code) => {
      file?.end();
      if (code === 0) resolve(output);
      else reject(new RunError(code, output));
    });
  });
}

/** Serializes image making between test runs that start at the same time. */
function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  return withDirLock(lock, { orphanAfterMs: 10_000, giveUpAfterMs: 15 * 60_000, pollMs: 200 }, fn);
}

