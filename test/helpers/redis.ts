import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { RespConnection, RespError, text } from "../../src/sources/redis-resp.js";

/** The machine's Redis (keeps nothing on disk); tests write only keys under their own prefix. */
export const SHARED_REDIS = { host: "127.0.0.1", port: 6379 };

/** Installed by `.ci/run` (Debian package redis-server), like the database clients. */
const REDIS_SERVER = "redis-server";

export interface PrivateRedis {
  port: number;
  dir: string;
  /** Runs one command (as the server's user, with the password when there is one). */
  call(...args: Array<string | number | Buffer>): Promise<unknown>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A private, empty redis-server on a free port, in its own temp folder (no persistence), for
 * restore targets. `dbfilename`/`dir` let a test start one on a snapshot (a restore by hand).
 */
export async function startRedis(options: { password?: string; databases?: number; dir?: string } = {}): Promise<PrivateRedis> {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), "tb-redis-"));
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "no"];
  if (options.password) args.push("--requirepass", options.password);
  if (options.databases) args.push("--databases", String(options.databases));
  const child: ChildProcess = spawn(REDIS_SERVER, args, { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const connect = async () => {
    const conn = await RespConnection.open({ host: "127.0.0.1", port });
    if (options.password) await conn.call("AUTH", options.password);
    return conn;
  };
  for (let i = 0; ; i++) {
    const conn = await connect().catch(() => undefined);
    const ok = conn ? await conn.call("PING").then((r) => r === "PONG", () => false) : false;
    conn?.close();
    if (ok) break;
    if (i > 200 || child.exitCode !== null) throw new Error(`redis-server on port ${port} did not start`);
    await sleep(50);
  }
  return {
    port,
    dir,
    async call(...cmd) {
      const conn = await connect();
      try {
        return await conn.call(...cmd);
      } finally {
        conn.close();
      }
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs commands on a server (one connection). */
export async function redisCommands(server: { host?: string; port: number; password?: string }, commands: Array<Array<string | number | Buffer>>): Promise<unknown[]> {
  const conn = await RespConnection.open({ host: server.host ?? "127.0.0.1", port: server.port });
  try {
    if (server.password) await conn.call("AUTH", server.password);
    const replies = await conn.pipeline(commands);
    const failed = replies.find((r) => r instanceof RespError);
    if (failed) throw new Error((failed as RespError).message);
    return replies;
  } finally {
    conn.close();
  }
}

/**
 * Every key under `prefix` in databases 0..15: `db/key(hex)` → type, value (read back with the
 * type's own commands, members in a stable order) and whether it has a TTL. Equal snapshots = same data.
 */
export async function snapshotKeys(server: { host?: string; port: number; password?: string }, prefix: string, databases = 16): Promise<Record<string, string>> {
  const conn = await RespConnection.open({ host: server.host ?? "127.0.0.1", port: server.port });
  const out: Record<string, string> = {};
  try {
    if (server.password) await conn.call("AUTH", server.password);
    for (let db = 0; db < databases; db++) {
      await conn.call("SELECT", db);
      let cursor = "0";
      do {
        const [next, keys] = (await conn.call("SCAN", cursor, "MATCH", `${prefix}*`, "COUNT", 1000)) as [Buffer, Buffer[]];
        cursor = text(next);
        for (const key of keys) {
          const [type, ttl] = await conn.pipeline([["TYPE", key], ["PTTL", key]]);
          out[`${db}/${key.toString("hex")}`] = `${text(type!)} ${await readValue(conn, text(type!), key)} ${(ttl as number) > 0 ? "ttl" : "persistent"}`;
        }
      } while (cursor !== "0");
    }
  } finally {
    conn.close();
  }
  return out;
}

/** Deletes every key under `prefix` in databases 0..15. */
export async function dropKeys(server: { host?: string; port: number }, prefix: string): Promise<void> {
  const conn = await RespConnection.open({ host: server.host ?? "127.0.0.1", port: server.port });
  try {
    for (let db = 0; db < 16; db++) {
      await conn.call("SELECT", db);
      let cursor = "0";
      do {
        const [next, keys] = (await conn.call("SCAN", cursor, "MATCH", `${prefix}*`, "COUNT", 1000)) as [Buffer, Buffer[]];
        cursor = text(next);
        if (keys.length > 0) await conn.call("DEL", ...keys);
      } while (cursor !== "0");
    }
  } finally {
    conn.close();
  }
}

/** A key's value as hex text, in an order that does not depend on the server's internal layout. */
async function readValue(conn: RespConnection, type: string, key: Buffer): Promise<string> {
  const hex = (r: unknown): string => (Buffer.isBuffer(r) ? r.toString("hex") : Array.isArray(r) ? `[${r.map(hex).join(",")}]` : String(r));
  switch (type) {
    case "string":
      return hex(await conn.call("GET", key));
    case "list":
      return hex(await conn.call("LRANGE", key, 0, -1));
    case "set":
      return ((await conn.call("SMEMBERS", key)) as Buffer[]).map(hex).sort().join(",");
    case "hash": {
      const flat = (await conn.call("HGETALL", key)) as Buffer[];
      const pairs: string[] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push(`${hex(flat[i])}=${hex(flat[i + 1])}`);
      return pairs.sort().join(",");
    }
    case "zset":
      return hex(await conn.call("ZRANGE", key, 0, -1, "WITHSCORES"));
    case "stream":
      return hex(await conn.call("XRANGE", key, "-", "+"));
    default:
      return hex(await conn.call("DUMP", key));
  }
}
