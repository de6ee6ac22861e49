import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import type Docker from "dockerode";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { ENGINE_DIR, testDocker } from "../helpers/docker-engine.js";
import { buildImage, ensureNodeImage } from "../helpers/docker-images.js";
import { createPgDatabase, type PgDatabase } from "../helpers/pg.js";
import { writeTree } from "../helpers/tree.js";
import { ROOT } from "../helpers/workspace.js";
import { MALLOC_TUNABLES, NODE_FLAGS } from "../../scripts/launcher.mjs";

/**
 * The shipped image, built from the Dockerfile for real and run the way a user runs it:
 * `run` (bot + scheduler) against the fake Bot API, a real PostgreSQL database and a real
 * Docker volume, jobs provisioned with `config import`, backups through `docker exec`.
 *
 * No registry is reachable here, so the Dockerfile's NODE_IMAGE is a local stand-in made from
 * this machine's Node (test/helpers/docker-images.ts) and PG_CLIENTS=debian replaces the
 * PostgreSQL apt repository. dockerd runs without a bridge: builds and containers use the
 * host network. Images are cached by tag: the first run takes several minutes (debootstrap,
 * npm ci, compiling better-sqlite3), later runs rebuild only what changed.
 */

const IMAGE = "localhost/tele-backup:test";
const ADMIN = 111;
const CHANNEL = -1009876543210;
const MASTER_KEY = "image-test-master-key-0123456789";
const COLD_BUILD_MS = 30 * 60_000;

describe("docker-compose.yml", () => {
  it("is valid for Compose v1 (docker-compose config) and uses nothing v1 lacks", () => {
    const file = readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8");
    const doc = parseYaml(file) as { services: Record<string, Record<string, unknown>>; [k: string]: unknown };
    for (const key of ["name", "include"]) expect(doc, `top-level "${key}:" is Compose v2 only`).not.toHaveProperty(key);
    for (const [name, service] of Object.entries(doc.services)) {
      expect(service, `services.${name}.develop is Compose v2 only`).not.toHaveProperty("develop");
      expect((service.healthcheck as Record<string, unknown> | undefined) ?? {}, `services.${name}.healthcheck.start_interval`).not.toHaveProperty("start_interval");
    }
    // The sidecar, the example services and the opt-in Bot API server.
    expect(Object.keys(doc.services).sort()).toEqual(["app", "mariadb", "postgres", "tele-backup", "telegram-bot-api"]);
    expect(doc.services["telegram-bot-api"]!.profiles).toEqual(["self-hosted-bot-api"]);
    // The socket mount comes with its warning, right above it.
    const socketLine = file.split("\n").findIndex((l) => l.includes("/var/run/docker.sock:/var/run/docker.sock"));
    expect(socketLine).toBeGreaterThan(0);
    expect(file.split("\n").slice(Math.max(0, socketLine - 8), socketLine).join("\n")).toMatch(/WARNING.*ROOT ON THE HOST/i);

    const compose = spawnSync("docker-compose", ["version"], { encoding: "utf8" });
    if (compose.error) {
      throw new Error("docker-compose (Compose v1) is not installed, so docker-compose.yml cannot be validated. Install it with `apt-get install docker-compose`.");
    }
    // A scratch project folder: the file's `env_file: .env` must exist, as it does for a user who followed the quick start.
    const dir = mkdtempSync(path.join(tmpdir(), "tb-compose-"));
    try {
      copyFileSync(path.join(ROOT, "docker-compose.yml"), path.join(dir, "docker-compose.yml"));
      copyFileSync(path.join(ROOT, ".env.example"), path.join(dir, ".env"));
      for (const args of [["config", "-q"], ["--profile", "self-hosted-bot-api", "config", "-q"]]) {
        const r = spawnSync("docker-compose", args, { cwd: dir, encoding: "utf8" });
        expect(r.status, `docker-compose ${args.join(" ")}:\n${r.stderr}`).toBe(0);
        expect(r.stderr.split("\n").filter((l) => /^WARNING/.test(l)), "Compose's warnings (unset variables, deprecated keys)").toEqual([]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Docker image", () => {
  let docker: Docker;
  let engineHost: string;
  let helperImage: string;
  let fake: FakeTelegram;
  let db: PgDatabase;
  let container: Docker.Container | undefined;
  const suffix = `${process.pid}_${Date.now().toString(36)}`;
  const uploadsVolume = `tb_image_uploads_${suffix}`;
  const dataVolume = `tb_image_data_${suffix}`;

  beforeAll(async () => {
    ({ docker, host: engineHost, helperImage } = testDocker());
    const log = (line: string) => console.error(`[image test] ${line}`);
    const started = Date.now();
    const nodeImage = await ensureNodeImage({ docker, host: engineHost, log });
    log(`building ${IMAGE} FROM ${nodeImage} (a cold build takes several minutes; output in ${ENGINE_DIR}/images/build.log)`);
    await buildImage(
      { docker, host: engineHost, log },
      {
        context: ROOT,
        tag: IMAGE,
        buildArgs: { NODE_IMAGE: nodeImage, PG_CLIENTS: "debian" },
        cacheStages: ["build", "prod-deps"],
        logFile: path.join(ENGINE_DIR, "images", "build.log"),
      },
    );
    log(`image ready in ${Math.round((Date.now() - started) / 1000)} s`);

    fake = await startFakeTelegram({ host: "127.0.0.1" });
    fake.createUser({ id: ADMIN, firstName: "Admin" });
    fake.createChannel({ id: CHANNEL, title: "Backups" });
    db = await createPgDatabase("image");
    await db.query(`create table items (id int primary key, name text not null);
                    insert into items select g, 'item ' || g from generate_series(1, 500) g;`);
    await docker.createVolume({ Name: uploadsVolume });
    await docker.createVolume({ Name: dataVolume });
    const mount = (await docker.getVolume(uploadsVolume).inspect()).Mountpoint;
    await writeTree(mount, { "photos/cat.jpg": Buffer.alloc(40_000, 3), "notes.txt": "uploaded by the app\n" });
  }, COLD_BUILD_MS);

  afterAll(async () => {
    await container?.remove({ force: true, v: true }).catch(() => undefined);
    for (const v of [uploadsVolume, dataVolume]) await docker?.getVolume(v).remove().catch(() => undefined);
    await db?.drop();
    await fake?.close();
  });

  it("runs as a non-root user with the data volume, a health check, tini and every dump client, without dev dependencies", async () => {
    const info = await docker.getImage(IMAGE).inspect();
    expect(info.Config.User).toBe("node");
    expect(Object.keys(info.Config.Volumes ?? {})).toEqual(["/data"]);
    expect(info.Config.Env).toContain("DATA_DIR=/data");
    expect(info.Config.Healthcheck?.Test).toEqual(["CMD", "tele-backup", "health"]);
    expect(info.Config.Entrypoint).toEqual(["/usr/bin/tini", "--", "tele-backup"]);
    expect(info.Config.Cmd).toEqual(["run"]);

    const check = await runOnce(docker, [
      "sh", "-ec",
      `id -u; pg_dump --version; psql --version; mariadb-dump --version; mariadb --version; sqlite3 --version; zstd --version; age --version; tini --version; node --version
       for dev in vitest vite typescript drizzle-kit tsx knip @biomejs/biome; do test ! -e /app/node_modules/$dev || { echo "dev dependency $dev in the image"; exit 1; }; done
       test ! -w /app/dist/main.js
       tele-backup help`,
    ]);
    expect(check.code, check.output).toBe(0);
    expect(check.output.split("\n")[0]).not.toBe("0");
    expect(check.output).toMatch(/pg_dump \(PostgreSQL\) \d+/);
    expect(check.output).toMatch(/Usage: tele-backup/);
  });

  it("becomes healthy under `run`, backs up a PostgreSQL database and a Docker volume, and `docker stop` ends it within 3 s with every run recorded", async () => {
    const env = [
      `BOT_TOKEN=${fake.token}`,
      `ADMIN_IDS=${ADMIN}`,
      `MASTER_KEY=${MASTER_KEY}`,
      `TELEGRAM_API_ROOT=${fake.apiRoot}`,
      `HELPER_IMAGE=${helperImage}`,
      "LOG_LEVEL=info",
    ];
    const binds = [`${dataVolume}:/data`];
    const groupAdd: string[] = [];
    if (engineHost.startsWith("unix://")) {
      // The test engine's socket where the compose file mounts the host's, with its group (as `group_add` does).
      const socket = engineHost.slice("unix://".length);
      binds.push(`${socket}:/var/run/docker.sock`);
      groupAdd.push(String(statSync(socket).gid));
      env.push("DOCKER_HOST=unix:///var/run/docker.sock");
    } else {
      env.push(`DOCKER_HOST=${engineHost}`);
    }
    container = await docker.createContainer({
      Image: IMAGE,
      name: `tb-image-test-${suffix}`,
      Env: env,
      // Probe every second instead of every 30 s; the command itself comes from the image's HEALTHCHECK.
      Healthcheck: { Interval: 1e9, Timeout: 10e9, Retries: 3 },
      HostConfig: { NetworkMode: "host", Binds: binds, GroupAdd: groupAdd },
    });
    const startedAt = Date.now();
    await container.start();

    const health = await waitForHealth(container, 90_000);
    console.error(`[image test] ${health.status} ${Date.now() - startedAt} ms after start`);
    expect(health.status, `health: ${health.detail}\n--- container log ---\n${await logsOf(container)}`).toBe("healthy");
    // The entry point starts node itself (scripts/launcher.mjs): its small young generation (the
    // daemon's flat memory during a backup), its larger optimization budget (no TurboFan work on
    // code that runs a few times) and glibc's huge pages for the key's scrypt. (glibc splits
    // GLIBC_TUNABLES in place as it reads it: /proc shows each tunable as a string of its own.)
    const daemon = await execIn(container, ["sh", "-c", `for p in /proc/[0-9]*; do c=$(tr '\\0' ' ' < $p/cmdline 2>/dev/null); case "$c" in node*" run ") echo "$c"; tr '\\0' '\\n' < $p/environ | grep -o 'glibc\\.malloc\\.[a-z_]*=[0-9]*';; esac; done`]);
    expect(daemon.stdout.trim().split("\n")).toEqual([expect.stringMatching(new RegExp(`^node ${NODE_FLAGS.join(" ")} \\S*tele-backup run $`)), ...MALLOC_TUNABLES.split(":")]);

    await putFile(container, "/tmp/config.yaml", `
sources:
  - { name: app-db, kind: postgres, host: 127.0.0.1, port: 5432, database: ${db.name}, user: postgres, password: "" }
  - { name: uploads, kind: volume, volume: ${uploadsVolume} }
destinations:
  - { name: channel, kind: telegram, chat_id: "${CHANNEL}" }
jobs:
  - { name: app-db, source: app-db, destinations: [channel], schedule: "0 3 * * *", format: custom, compression: zstd }
  - { name: uploads, source: uploads, destinations: [channel], schedule: "0 4 * * *", compression: gzip }
`);
    const imported = await execIn(container, ["tele-backup", "config", "import", "/tmp/config.yaml"]);
    expect(imported.code, imported.output).toBe(0);

    const runIds: number[] = [];
    for (const job of ["app-db", "uploads"]) {
      const r = await execIn(container, ["tele-backup", "backup", job, "--json"]);
      expect(r.code, `backup ${job}:\n${r.output}\n--- container log ---\n${await logsOf(container)}`).toBe(0);
      const result = JSON.parse(r.stdout) as { runId: number; status: string; fileName: string };
      expect(result.status).toBe("success");
      expect(result.fileName).toMatch(job === "app-db" ? /^app-db_\d{8}-\d{6}\.dump\.zst/ : /^uploads_\d{8}-\d{6}\.tar\.gz/);
      runIds.push(result.runId);
    }
    const posted = fake.documents(CHANNEL).map((m) => m.document?.file_name ?? "");
    expect(posted.some((n) => n.startsWith("app-db_"))).toBe(true);
    expect(posted.some((n) => n.startsWith("uploads_"))).toBe(true);
    const verified = await execIn(container, ["tele-backup", "verify", String(runIds[0])]);
    expect(verified.code, verified.output).toBe(0);

    // A backup started from the bot, caught mid-upload by `docker stop`: it must be recorded as interrupted.
    const seqBefore = fake.requests.length;
    fake.failNext("sendDocument", { kind: "stall", ms: 30_000 });
    fake.sendUserMessage(ADMIN, "/runnow app-db");
    await fake.waitFor(
      () => fake.requests.slice(seqBefore).find((r) => r.method === "sendDocument" && r.outcome === "pending"),
      30_000,
      "the /runnow backup's upload",
    );

    const stopStarted = Date.now();
    await container.stop({ t: 10 });
    const stopMs = Date.now() - stopStarted;
    console.error(`[image test] docker stop took ${stopMs} ms`);
    const state = (await container.inspect()).State;
    expect(stopMs, `docker stop took ${stopMs} ms\n--- container log ---\n${await logsOf(container)}`).toBeLessThan(3000);
    expect(state.Running).toBe(false);
    expect(state.ExitCode, "exit code after SIGTERM").toBe(0);

    // The run history is in the data volume, read from the host after the container stopped.
    const dataDir = (await docker.getVolume(dataVolume).inspect()).Mountpoint;
    const sqlite = new Database(path.join(dataDir, "tele-backup.sqlite"), { readonly: true, fileMustExist: true });
    try {
      const runs = sqlite.prepare("select id, job_name as job, trigger, status from runs order by id").all();
      expect(runs).toEqual([
        { id: runIds[0], job: "app-db", trigger: "cli", status: "success" },
        { id: runIds[1], job: "uploads", trigger: "cli", status: "success" },
        { id: expect.any(Number), job: "app-db", trigger: "manual", status: "interrupted" },
      ]);
    } finally {
      sqlite.close();
    }
  });

  /** `docker run --rm --entrypoint <cmd>`: combined output and exit code. */
  async function runOnce(d: Docker, cmd: string[]): Promise<{ code: number; output: string }> {
    const c = await d.createContainer({ Image: IMAGE, Entrypoint: cmd, HostConfig: { NetworkMode: "none" } });
    try {
      const stream = await c.attach({ stream: true, stdout: true, stderr: true });
      const chunks = collect(d.modem as Modem, stream);
      await c.start();
      const { StatusCode } = (await c.wait()) as { StatusCode: number };
      await sleep(50);
      return { code: StatusCode, output: chunks.stdout() + chunks.stderr() };
    } finally {
      await c.remove({ force: true, v: true }).catch(() => undefined);
    }
  }
});

interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  output: string;
}

/** `docker exec` as the image's user; resolves when the command exits. */
async function execIn(container: Docker.Container, cmd: string[]): Promise<ExecResult> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks = collect(container.modem as Modem, stream);
  await new Promise<void>((resolve, reject) => {
    stream.once("end", resolve);
    stream.once("close", resolve);
    stream.once("error", reject);
  });
  let info = await exec.inspect();
  for (let i = 0; info.Running && i < 100; i++) {
    await sleep(50);
    info = await exec.inspect();
  }
  const stdout = chunks.stdout();
  const stderr = chunks.stderr();
  return { code: info.ExitCode ?? -1, stdout, stderr, output: `$ ${cmd.join(" ")}\n${stdout}${stderr}` };
}

interface Modem {
  demuxStream(stream: NodeJS.ReadableStream, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void;
}

/** Demultiplexes a Docker attach/exec stream into text. */
function collect(modem: Modem, stream: NodeJS.ReadableStream): { stdout(): string; stderr(): string } {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  err.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  modem.demuxStream(stream, out, err);
  return { stdout: () => stdout, stderr: () => stderr };
}

/** Copies one file into a running container (like `docker cp`), readable by its user. */
async function putFile(container: Docker.Container, file: string, text: string): Promise<void> {
  const pack = tar.pack();
  pack.entry({ name: path.basename(file), mode: 0o644 }, text);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  await container.putArchive(Buffer.concat(chunks), { path: path.dirname(file) });
}

async function waitForHealth(container: Docker.Container, timeoutMs: number): Promise<{ status: string; detail: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { State } = await container.inspect();
    const health = State.Health;
    const detail = JSON.stringify(health?.Log?.slice(-3) ?? null);
    if (!health) return { status: "none (the image has no HEALTHCHECK)", detail };
    if (!State.Running) return { status: `exited with ${State.ExitCode}`, detail };
    if (health.Status !== "starting" || Date.now() > deadline) return { status: health.Status, detail };
    await sleep(250);
  }
}

async function logsOf(container: Docker.Container): Promise<string> {
  const buf = (await container.logs({ stdout: true, stderr: true, tail: 60 }).catch((e: unknown) => Buffer.from(String(e)))) as Buffer;
  // Multiplexed frames: 8-byte headers before each chunk.
  const parts: string[] = [];
  for (let i = 0; i + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size).toString("utf8"));
    i += 8 + size;
  }
  return parts.join("") || buf.toString("utf8");
}
