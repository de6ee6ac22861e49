import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { redact } from "../crypto/redact.js";
import { oneLine } from "../shared/one-line.js";
import { beforeReading, childEnv, diesWithUs, findExecutable, spawnDump } from "./child-process.js";
import { SourceError, type Dump, type DumpFormat, type SourceConfig, type SourceDeps, type SourceDriver } from "./port.js";
import { keyspace, RespConnection, RespError, text, type RespAddress, type RespReply } from "./redis-resp.js";

type RedisConfig = Extract<SourceConfig, { kind: "redis" }>;

/** Keys read from the scratch server and written to the target per round trip. */
const BATCH = 500;
/** How long the scratch server may take to load the snapshot. */
const LOAD_LIMIT_MS = 10 * 60_000;
/** Databases the scratch server offers (Redis' default is 16; a snapshot may use more). */
const SCRATCH_DATABASES = 256;

/**
 * A whole Redis server (all its databases), as one RDB snapshot.
 *
 * Backup: `redis-cli --rdb -` asks the server for a replication snapshot over the network (the
 * server needs no disk of its own: diskless replication streams it), so the payload is exactly
 * the `dump.rdb` Redis itself loads at start-up. The password travels in `REDISCLI_AUTH`,
 * never on a command line.
 *
 * Restore by hand: stop a Redis, put the payload as `dump.rdb` in its `dir`, start it.
 * Restore by the tool: only into an *empty* Redis (a new instance, or a scratch one); a server
 * that holds keys is refused, before anything is downloaded and again right before loading.
 * The snapshot is first loaded by a private scratch `redis-server` (on a Unix socket in a
 * temporary folder, no TCP port, no persistence, killed by the kernel if this process dies),
 * which validates the whole file; then every key is copied with `DUMP` → `RESTORE` (TTL kept;
 * `RESTORE` without `REPLACE`, so a key that appeared meanwhile is never overwritten), all in
 * one transaction: a kill of this process before EXEC leaves the target as empty as it was. If
 * anything fails, nothing is applied or the keys this restore wrote are deleted again. The
 * scratch server is stopped and its folders removed in every case. The target must run the
 * snapshot's Redis version or a newer one (RDB and DUMP payloads are not readable by older
 * servers).
 */
export function createRedisDriver(deps: SourceDeps): SourceDriver {
  return {
    kind: "redis",
    formats: ["rdb"],
    extension: () => "rdb",

    async check(config, signal) {
      const c = redisConfig(config);
      return { serverVersion: await withConnection(c, signal, async (conn) => serverVersion(conn)) };
    },

    async dump(config, { format, signal }): Promise<Dump> {
      const c = redisConfig(config);
      assertFormat(format);
      const version = await withConnection(c, signal, async (conn) => serverVersion(conn));
      const cli = await findExecutable(["redis-cli"]);
      if (!cli) throw new SourceError("redis-cli is not installed (package redis-tools)", "redis", { key: "source-error-tools-missing", params: { what: "Redis", tools: "redis-cli", package: "redis-tools" } });
      const args = ["-h", c.host, "-p", String(c.port), "--no-auth-warning", ...(c.user ? ["--user", c.user] : []), "--rdb", "-"];
      const env: Record<string, string> = c.password ? { REDISCLI_AUTH: c.password } : {};
      const spawned = spawnDump({ command: cli, args, env }, { kind: "redis", secrets: secretsOf(c), explain: explainCli }, signal);
      deps.log.debug({ host: c.host, port: c.port }, "redis snapshot requested");
      return { stream: spawned.stream, done: spawned.done, serverVersion: version };
    },

    async checkRestoreTarget(config, _into, signal) {
      const c = redisConfig(config);
      await withConnection(c, signal, (conn) => refuseNonEmpty(conn, c));
      return { empty: true };
    },

    async restore(config, input: Readable, { format, signal, scratchDir }) {
      const c = redisConfig(config);
      const server = await beforeReading(input, async () => {
        assertFormat(format);
        const found = await findExecutable(["redis-server"]);
        if (!found) throw new SourceError("redis-server is not installed (package redis-server): it loads the snapshot before the keys are copied", "redis");
        await withConnection(c, signal, (conn) => refuseNonEmpty(conn, c));
        return found;
      });
      // The snapshot and the scratch server's socket in the restore's own folder (removed after
      // a crash too). A Unix socket path holds at most 107 bytes: when that folder's is longer,
      // the socket goes in a short folder of its own in TMPDIR, which a crash leaves behind.
      const dir = await mkdtemp(path.join(scratchDir ?? tmpdir(), "tele-backup-redis-"));
      let socketDir: string | undefined;
      let scratch: Scratch | undefined;
      try {
        try {
          await pipeline(input, createWriteStream(path.join(dir, "dump.rdb"), { mode: 0o600 }), { signal });
        } catch (err) {
          throw new SourceError(`restore into Redis at ${where(c)} failed: the payload did not arrive: ${oneLine(err)}`, "redis", { cause: err });
        }
        let socket = path.join(dir, "redis.sock");
        if (Buffer.byteLength(socket) > MAX_SOCKET_PATH_BYTES) {
          socketDir = await mkdtemp(path.join(tmpdir(), "tele-backup-redis-socket-"));
          socket = path.join(socketDir, "redis.sock");
        }
        scratch = await startScratch(server, dir, socket, signal);
        await copyKeys(scratch.conn, c, signal, deps);
      } catch (err) {
        if (err instanceof SourceError) throw new SourceError(redact(err.message, secretsOf(c)), "redis", { cause: err, key: err.key, params: err.params });
        throw new SourceError(`restore into Redis at ${where(c)} failed: ${redact(oneLine(err), secretsOf(c))}`, "redis", { cause: err });
      } finally {
        await scratch?.stop();
        await rm(dir, { recursive: true, force: true });
        if (socketDir) await rm(socketDir, { recursive: true, force: true });
      }
    },
  };
}

/** The longest Unix socket path (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH_BYTES = 107;

function redisConfig(config: SourceConfig): RedisConfig {
  if (config.kind !== "redis") throw new SourceError(`expected a redis source, got ${config.kind}`, "redis");
  return config;
}

function assertFormat(format: DumpFormat): void {
  if (format !== "rdb") throw new SourceError(`Redis sources have no "${format}" format`, "redis");
}

function where(c: RedisConfig): string {
  return `${c.host}:${c.port}`;
}

function secretsOf(c: RedisConfig): string[] {
  return c.password ? [c.password] : [];
}

function explainCli(stderr: string): string | undefined {
  if (/NOAUTH|WRONGPASS|invalid password|invalid username-password/i.test(stderr)) return "authentication failed: check the user and password";
  if (/Connection refused|Could not connect/i.test(stderr)) return "cannot connect to the Redis server";
  return undefined;
}

/** Opens an authenticated connection, runs `use`, closes it; every failure becomes a SourceError naming the server. */
async function withConnection<T>(c: RedisConfig, signal: AbortSignal | undefined, use: (conn: RespConnection) => Promise<T>): Promise<T> {
  let conn: RespConnection | undefined;
  const onAbort = () => conn?.close();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    signal?.throwIfAborted();
    try {
      conn = await RespConnection.open({ host: c.host, port: c.port });
    } catch (err) {
      throw new SourceError(`cannot connect to Redis at ${where(c)}: ${oneLine(err)}`, "redis", { cause: err, key: "source-error-redis-connect", params: { server: where(c), detail: oneLine(err) } });
    }
    if (c.password || c.user) {
      try {
        await conn.call("AUTH", ...(c.user ? [c.user] : []), c.password);
      } catch (err) {
        const detail = redact(oneLine(err), secretsOf(c));
        throw new SourceError(`Redis at ${where(c)} refused the login: ${detail}`, "redis", { cause: err, key: "source-error-redis-login", params: { server: where(c), detail } });
      }
    }
    return await use(conn);
  } catch (err) {
    if (err instanceof SourceError) throw err;
    throw new SourceError(`Redis at ${where(c)}: ${redact(oneLine(err), secretsOf(c))}`, "redis", { cause: err });
  } finally {
    signal?.removeEventListener("abort", onAbort);
    conn?.close();
  }
}

async function serverVersion(conn: RespConnection): Promise<string> {
  const info = text(await conn.call("INFO", "server"));
  const version = /^redis_version:(\S+)/m.exec(info)?.[1];
  return version ? `Redis ${version}` : "Redis";
}

async function refuseNonEmpty(conn: RespConnection, c: RedisConfig): Promise<void> {
  const keys = [...keyspace(text(await conn.call("INFO", "keyspace"))).values()].reduce((a, b) => a + b, 0);
  if (keys > 0) {
    throw new SourceError(`Redis at ${where(c)} already holds ${keys} keys: restore into an empty (new) Redis instance; an existing one is never overwritten`, "redis", {
      key: "source-error-redis-not-empty",
      params: { server: where(c), keys },
    });
  }
}

interface Scratch {
  conn: RespConnection;
  stop(): Promise<void>;
}

/**
 * Starts a private redis-server on the snapshot in `dir` (Unix socket only, no persistence)
 * and waits until it has loaded it. A snapshot it cannot load ends it: its log tail is the error.
 */
async function startScratch(server: string, dir: string, socket: string, signal: AbortSignal): Promise<Scratch> {
  // It reads no pipe of ours: without the parent-death signal it would outlive a SIGKILL of
  // this process for good, holding the snapshot's keys.
  const started = await diesWithUs(server, [
    "--port", "0", "--unixsocket", socket, "--unixsocketperm", "700", "--dir", dir, "--dbfilename", "dump.rdb",
    "--save", "", "--appendonly", "no", "--databases", String(SCRATCH_DATABASES), "--daemonize", "no", "--protected-mode", "yes",
  ]);
  const child = spawn(started.command, started.args, { env: childEnv({}), stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString("utf8")).slice(-2000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
    child.once("error", (err) => {
      keep(Buffer.from(String(err)));
      exited = true;
      resolve();
    });
  });
  const stop = async () => {
    if (!exited) {
      child.kill("SIGKILL");
      await exit;
    }
  };
  const deadline = Date.now() + LOAD_LIMIT_MS;
  try {
    for (;;) {
      signal.throwIfAborted();
      if (exited) throw new Error(`the snapshot could not be loaded: ${lastLines(log)}`);
      if (Date.now() > deadline) throw new Error("the snapshot took too long to load");
      const conn = await RespConnection.open({ path: socket } satisfies RespAddress, 2000).catch(() => undefined);
      if (conn) {
        const [pong] = await conn.pipeline([["PING"]]).catch(() => [undefined]);
        if (pong === "PONG") {
          return {
            conn,
            stop: async () => {
              conn.close();
              await stop();
            },
          };
        }
        conn.close(); // LOADING: try again
      }
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  }
}

/** redis-server's own reasons (its `#` warning lines, the memory-overcommit advice left out), without their prefixes. */
function lastLines(log: string): string {
  const reasons = log
    .split("\n")
    .map((l) => /^\d+:[A-Z] [^#]*# (.*)$/.exec(l.trim())?.[1])
    .filter((l): l is string => l !== undefined && !l.startsWith("WARNING"));
  return oneLine(reasons.slice(-2).join("; ")) || oneLine(log.trim().split("\n").slice(-1)[0] ?? "") || "redis-server exited";
}

/**
 * Copies every key of the scratch server into the target, database by database, with its TTL,
 * in one transaction (MULTI … EXEC): the target applies all of them at once, or none if this
 * process dies before EXEC (the server drops a transaction whose client is gone), so a kill
 * mid-copy leaves it as empty as it was. The queued copy is held in the target's memory until
 * EXEC. A command the target refuses while queueing (out of memory, say) aborts the whole
 * transaction; one that fails inside EXEC (a key written meanwhile) leaves the others applied,
 * and those are deleted again.
 */
async function copyKeys(from: RespConnection, c: RedisConfig, signal: AbortSignal, deps: SourceDeps): Promise<void> {
  await withConnection(c, signal, async (to) => {
    await refuseNonEmpty(to, c); // again: something may have written since the first look
    const dbs = [...keyspace(text(await from.call("INFO", "keyspace"))).keys()].sort((a, b) => a - b);
    // Inside the transaction a SELECT that fails would send the keys after it to another
    // database: every database the snapshot uses must exist on the target before.
    for (const db of dbs) {
      try {
        await to.call("SELECT", db);
      } catch (err) {
        throw new Error(`the target has no database ${db} (its "databases" setting is lower than the source's): ${oneLine(err)}`, { cause: err });
      }
    }
    /** What each queued command writes, in order: a key of a database, or nothing (SELECT). */
    const queued: Array<{ db: number; key: Buffer } | null> = [];
    await to.call("MULTI");
    let sent = false;
    try {
      for (const db of dbs) {
        await from.call("SELECT", db);
        await to.call("SELECT", db); // QUEUED
        queued.push(null);
        let cursor = "0";
        do {
          signal.throwIfAborted();
          const [next, keys] = (await from.call("SCAN", cursor, "COUNT", BATCH)) as [Buffer, Buffer[]];
          cursor = text(next);
          if (keys.length === 0) continue;
          const read = await from.pipeline(keys.flatMap((k) => [["PTTL", k], ["DUMP", k]]));
          const restores: Array<Array<string | number | Buffer>> = [];
          keys.forEach((key, i) => {
            const ttl = read[2 * i] as number;
            const payload = read[2 * i + 1] as RespReply;
            if (!Buffer.isBuffer(payload) || ttl === -2) return; // expired while copying
            restores.push(["RESTORE", key, Math.max(ttl, 0), payload]);
            queued.push({ db, key });
          });
          const refused = (await to.pipeline(restores)).find((r): r is RespError => r instanceof RespError);
          if (refused) throw new Error(`the target refused a key: ${refused.message}`);
        } while (cursor !== "0");
      }
      sent = true;
      const results = await to.call("EXEC");
      if (!Array.isArray(results) || results.length !== queued.length) throw new Error("the target did not apply the copy (its transaction was aborted)");
      const failure = results.find((r): r is RespError => r instanceof RespError);
      if (failure) {
        const written = new Map<number, Buffer[]>(dbs.map((db) => [db, []]));
        results.forEach((r, i) => {
          const entry = queued[i];
          if (entry && !(r instanceof RespError)) written.get(entry.db)!.push(entry.key);
        });
        await undo(to, written).catch((e: unknown) => deps.log.warn({ err: (e as Error).message }, "redis restore: could not delete the keys it wrote"));
        throw new Error(`the target refused a key: ${failure.message}`);
      }
      deps.log.debug({ host: c.host, port: c.port, databases: dbs.length, keys: queued.length - dbs.length }, "redis restore copied every key");
    } catch (err) {
      if (!sent) await to.call("DISCARD").catch(() => undefined);
      throw err;
    }
  });
}

async function undo(to: RespConnection, written: Map<number, Buffer[]>): Promise<void> {
  for (const [db, keys] of written) {
    if (keys.length === 0) continue;
    await to.call("SELECT", db);
    for (let i = 0; i < keys.length; i += BATCH) await to.call("DEL", ...keys.slice(i, i + BATCH));
  }
}
