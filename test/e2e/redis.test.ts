import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { createRedisDriver } from "../../src/sources/redis.js";
import { dropKeys, redisCommands, SHARED_REDIS, snapshotKeys, startRedis, type PrivateRedis } from "../helpers/redis.js";
import { createWorkspace, ROOT, sh, type CliResult, type Workspace } from "../helpers/workspace.js";
import { waitFor } from "../helpers/wait.js";

/**
 * Redis: the machine's real server (127.0.0.1:6379) is backed up over the network through the
 * CLI, restored into fresh private redis-servers (by the tool, and by hand from the payload),
 * and the keys compared. Only keys under this test's prefix are written and compared.
 */
describe("Redis source", () => {
  const prefix = `tb:test:${process.pid}:${randomBytes(3).toString("hex")}:`;
  const password = `redis-pw-${randomBytes(8).toString("hex")}`;
  let ws: Workspace;
  let target: PrivateRedis;
  let backup: CliResult;
  let runId = 0;
  let fileName = "";
  const servers: PrivateRedis[] = [];

  beforeAll(async () => {
    const binaryKey = Buffer.concat([Buffer.from(prefix), Buffer.from([0, 255, 10, 13])]);
    await redisCommands(SHARED_REDIS, [
      ["SET", `${prefix}string`, "Привет, 世界 🎉"],
      ["SET", binaryKey, Buffer.from([0, 1, 2, 255, 254])],
      ["SET", `${prefix}expiring`, "soon", "EX", 3600],
      ["HSET", `${prefix}hash`, "a", "1", "b", "два"],
      ["RPUSH", `${prefix}list`, "x", "y", "z", "x"],
      ["SADD", `${prefix}set`, "m1", "m2", "m3"],
      ["ZADD", `${prefix}zset`, 1.5, "one", -2, "two"],
      ["XADD", `${prefix}stream`, "1-1", "field", "value"],
      ["SET", `${prefix}big`, randomBytes(200_000)],
      ["SELECT", 3],
      ["SET", `${prefix}in-db3`, "third database"],
      ["HSET", `${prefix}hash-db3`, "k", "v"],
    ]);
    target = await startRedis({ password });
    servers.push(target);
    ws = createWorkspace({ REDIS_TARGET_PASSWORD: password });
    const yaml = `
sources:
  - { name: cache, kind: redis, host: ${SHARED_REDIS.host}, port: ${SHARED_REDIS.port} }
  - { name: cache-copy, kind: redis, host: 127.0.0.1, port: ${target.port}, password: "env:REDIS_TARGET_PASSWORD" }
destinations:
  - { name: disk, kind: local, path: ${path.join(ws.dir, "backups")} }
jobs:
  - { name: cache, source: cache, destinations: [disk], schedule: "0 3 * * *" }
`;
    const r = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(r.code, r.stderr).toBe(0);
    // The backup every test restores (made here, so each test also runs alone).
    backup = await ws.cli(["backup", "cache", "--json"]);
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    ({ runId, fileName } = JSON.parse(backup.stdout) as { runId: number; fileName: string });
  });

  afterAll(async () => {
    await dropKeys(SHARED_REDIS, prefix);
    for (const s of servers) await s.stop();
    ws?.remove();
  });

  it("backs up over the network, restores into a fresh instance, and the keys are the same", async () => {
    const b = backup;
    expect(fileName).toMatch(/^cache_\d{8}-\d{6}\.rdb\.gz$/);

    const r = await ws.cli(["restore", String(runId), "--to", "cache-copy"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const expected = await snapshotKeys(SHARED_REDIS, prefix);
    expect(Object.keys(expected)).toHaveLength(11);
    expect(Object.values(expected).filter((v) => v.endsWith(" ttl"))).toHaveLength(1);
    expect(Object.keys(expected).filter((k) => k.startsWith("3/"))).toHaveLength(2);
    expect(await snapshotKeys({ port: target.port, password }, prefix)).toEqual(expected);
    for (const out of [b.stdout, b.stderr, r.stdout, r.stderr]) expect(out).not.toContain(password);
  });

  it("refuses to restore into a Redis that holds keys, and leaves it as it was", async () => {
    await redisCommands({ port: target.port, password }, [["SET", `${prefix}string`, "changed"]]);
    const before = await snapshotKeys({ port: target.port, password }, prefix);
    const r = await ws.cli(["restore", String(runId), "--to", "cache-copy", "--replace"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/already holds \d+ keys: restore into an empty \(new\) Redis instance/);
    expect(r.stderr).not.toContain(password);
    expect(await snapshotKeys({ port: target.port, password }, prefix)).toEqual(before);
    expect(await redisCommands({ port: target.port, password }, [["GET", `${prefix}string`]])).toEqual([Buffer.from("changed")]);
  });

  it("restores by hand: the parts, gunzipped, are a dump.rdb a plain redis-server loads", async () => {
    const dir = path.join(ws.dir, "backups", "cache");
    const parts = readdirSync(dir).filter((f) => f.startsWith(fileName + ".0")).map((f) => path.join(dir, f));
    expect(parts.length).toBeGreaterThan(0);
    const byHand = path.join(ws.dir, "by-hand");
    await sh(`mkdir -p ${byHand} && cat ${parts.join(" ")} | gunzip > ${byHand}/dump.rdb`);
    const server = await startRedis({ dir: byHand });
    servers.push(server);
    expect(await snapshotKeys({ port: server.port }, prefix)).toEqual(await snapshotKeys(SHARED_REDIS, prefix));
  });

  it("restore --file writes the snapshot a new redis-server starts from", async () => {
    const dir = path.join(ws.dir, "new-instance");
    const r = await ws.cli(["restore", String(runId), "--file", path.join(dir, "dump.rdb")]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const server = await startRedis({ dir });
    servers.push(server);
    expect(await snapshotKeys({ port: server.port }, prefix)).toEqual(await snapshotKeys(SHARED_REDIS, prefix));
  });

  it("a backup with a wrong password fails with a clear reason that does not show it", async () => {
    const wrong = `wrong-${randomBytes(6).toString("hex")}`;
    const yaml = `
sources:
  - { name: locked, kind: redis, host: 127.0.0.1, port: ${target.port}, password: "${wrong}" }
jobs:
  - { name: locked, source: locked, destinations: [disk], schedule: "0 3 * * *" }
`;
    expect((await ws.cli(["config", "import", ws.writeFile("locked.yaml", yaml)])).code).toBe(0);
    const b = await ws.cli(["backup", "locked", "--json"]);
    expect(b.code).toBe(1);
    const result = JSON.parse(b.stdout) as { status: string; error: string };
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/^dump failed: Redis at 127\.0\.0\.1:\d+ refused the login: WRONGPASS/);
    expect(b.stdout + b.stderr).not.toContain(wrong);
  });

  describe("the driver's restore is all or nothing", () => {
    const driver = createRedisDriver({ log: createLogger("silent"), docker: () => { throw new Error("no docker"); }, helperImage: undefined });
    /** The RDB snapshot of the Redis on `port`, as the driver dumps it. */
    const snapshotOf = async (port: number): Promise<Buffer> => {
      const { stream, done } = await driver.dump({ kind: "redis", host: "127.0.0.1", port, password: "" }, { format: "rdb", signal: new AbortController().signal });
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      await done;
      return Buffer.concat(chunks);
    };
    /** Commands queued in the transactions of the clients of the Redis on `port` (the most of any). */
    const queuedAt = async (port: number): Promise<number> => {
      const [clients] = await redisCommands({ port }, [["CLIENT", "LIST"]]);
      return Math.max(...[...String(clients).matchAll(/ multi=(-?\d+)/g)].map((m) => Number(m[1])), -1);
    };
    const fill = "for i = 1, tonumber(ARGV[1]) do redis.call('SET', ARGV[2] .. i, string.rep('v', 200)) end";

    it("a key written into the target during the copy is refused inside EXEC: the keys the copy applied are deleted again, that key stays", async () => {
      const source = await startRedis();
      const target = await startRedis();
      servers.push(source, target);
      await redisCommands({ port: source.port }, [["EVAL", fill, "0", "100000", "a:"]]);
      const snapshot = await snapshotOf(source.port);
      const restoring = driver.restore({ kind: "redis", host: "127.0.0.1", port: target.port, password: "" }, Readable.from([snapshot]), { format: "rdb", signal: new AbortController().signal });
      restoring.catch(() => {}); // awaited below
      await waitFor("the copy queued at the target", async () => (await queuedAt(target.port)) >= 1000, 60_000, 5);
      await redisCommands({ port: target.port }, [["SET", "a:1", "written meanwhile"]]);
      await expect(restoring).rejects.toThrow(/the target refused a key: BUSYKEY/);
      expect(await redisCommands({ port: target.port }, [["DBSIZE"], ["GET", "a:1"]])).toEqual([1, Buffer.from("written meanwhile")]);
    }, 90_000);

    it("a payload that is no RDB snapshot is refused with redis-server's reason; the target stays empty", async () => {
      const empty = await startRedis();
      servers.push(empty);
      const config = { kind: "redis" as const, host: "127.0.0.1", port: empty.port, password: "" };
      await expect(driver.restore(config, Readable.from([Buffer.from("this is not a snapshot\n")]), { format: "rdb", signal: new AbortController().signal }))
        .rejects.toThrow(/snapshot could not be loaded: .*Wrong signature/);
      expect(await empty.call("DBSIZE")).toBe(0);
    });

    it("a staging folder too long for a Unix socket path: the socket goes in TMPDIR, removed afterwards", async () => {
      const fresh = await startRedis();
      servers.push(fresh);
      const scratchDir = path.join(ws.dir, "s".repeat(120));
      mkdirSync(scratchDir);
      const snapshot = await snapshotOf(SHARED_REDIS.port);
      const sockets = () => readdirSync(tmpdir()).filter((f) => f.startsWith("tele-backup-redis-socket-"));
      const before = sockets();
      const config = { kind: "redis" as const, host: "127.0.0.1", port: fresh.port, password: "" };
      await driver.restore(config, Readable.from([snapshot]), { format: "rdb", signal: new AbortController().signal, scratchDir });
      expect(await snapshotKeys({ port: fresh.port }, prefix)).toEqual(await snapshotKeys(SHARED_REDIS, prefix));
      expect(sockets()).toEqual(before);
      expect(readdirSync(scratchDir)).toEqual([]);
    });

    it("a copy that fails halfway deletes the keys it wrote (target with fewer databases than the snapshot)", async () => {
      const small = await startRedis({ databases: 2 });
      servers.push(small);
      const config = { kind: "redis" as const, host: "127.0.0.1", port: small.port, password: "" };
      const snapshot = await snapshotOf(SHARED_REDIS.port);
      await expect(driver.restore(config, Readable.from([snapshot]), { format: "rdb", signal: new AbortController().signal }))
        .rejects.toThrow(/has no database 3/);
      expect(await small.call("DBSIZE")).toBe(0);
    });

    it("SIGKILL of this process mid-copy: the kernel kills the scratch redis-server too (it reads no pipe of ours)", async () => {
      const paused = await startRedis();
      servers.push(paused);
      const scratchDir = path.join(ws.dir, "staging");
      mkdirSync(scratchDir);
      // The scratch server's socket is made in the staging folder (redis-server shows its path in
      // its title), nothing in TMPDIR.
      const tmp = path.join(ws.dir, "tmp-scratch");
      mkdirSync(tmp);
      const script = restoreScript(ws, "restore-child.mts", SHARED_REDIS.port, paused.port, scratchDir);
      // The target takes no writes for a while: the copy waits with the scratch server up.
      await paused.call("CLIENT", "PAUSE", "60000", "WRITE");
      const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: ROOT, stdio: "ignore", env: { ...process.env, TMPDIR: tmp } });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      try {
        const scratch = await waitFor("the scratch redis-server", () => scratchServer(scratchDir), 30_000, 20);
        child.kill("SIGKILL");
        await exited;
        await waitFor("the scratch redis-server to end", () => !existsSync(`/proc/${scratch}`) || readFileSync(`/proc/${scratch}/stat`, "utf8").split(" ")[2] === "Z", 5000, 20);
        expect(scratchServer(scratchDir)).toBeUndefined();
        expect(readdirSync(tmp).filter((f) => f.startsWith("tele-backup"))).toEqual([]); // (tsx keeps its cache there)
      } finally {
        child.kill("SIGKILL");
        const left = scratchServer(scratchDir);
        if (left) process.kill(left, "SIGKILL");
        await paused.call("CLIENT", "UNPAUSE");
      }
    });

    it("SIGKILL of this process mid-copy leaves the target as it was: every key or none (one transaction)", async () => {
      const source = await startRedis();
      const empty = await startRedis();
      servers.push(source, empty);
      await redisCommands({ port: source.port }, [["EVAL", fill, "0", "150000", "a:"], ["SELECT", "1"], ["EVAL", fill, "0", "50000", "b:"]]);
      const script = restoreScript(ws, "restore-kill-child.mts", source.port, empty.port);
      const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: ROOT, stdio: "ignore" });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      const sizes = async () => {
        const replies = await redisCommands({ port: empty.port }, [["DBSIZE"], ["SELECT", "1"], ["DBSIZE"]]);
        return [Number(replies[0]), Number(replies[2])];
      };
      try {
        // Part of the copy has reached the target: queued in its transaction, or written.
        const copying = async () => (await queuedAt(empty.port)) >= 1000 || (await sizes()).some((n) => n > 0);
        await waitFor("part of the copy at the target", copying, 60_000, 5);
        child.kill("SIGKILL");
        await exited;
        await waitFor("the killed client to be gone", async () => (await queuedAt(empty.port)) < 0, 5000, 20);
        const after = await sizes();
        expect([[0, 0], [150_000, 50_000]]).toContainEqual(after);
      } finally {
        child.kill("SIGKILL");
      }
    }, 90_000);

    it("a wrong password is a clear error that does not echo it", async () => {
      const secret = `wrong-${randomBytes(6).toString("hex")}`;
      const err = await driver.check({ kind: "redis", host: "127.0.0.1", port: target.port, password: secret }).catch((e: Error) => e);
      expect(String(err)).toMatch(/refused the login/);
      expect(String(err)).not.toContain(secret);
    });
  });
});

/** The pid of a process whose command line (or redis-server's title) names a path under `dir`. */
/** A script that dumps the Redis on `fromPort` and restores it into the one on `toPort` through the driver. */
function restoreScript(ws: Workspace, name: string, fromPort: number, toPort: number, scratchDir?: string): string {
  return ws.writeFile(
    name,
    `import { Readable } from "node:stream";
import { createLogger } from "${ROOT}/src/logger.ts";
import { createRedisDriver } from "${ROOT}/src/sources/redis.ts";
const driver = createRedisDriver({ log: createLogger("silent"), docker: () => { throw new Error("no docker"); }, helperImage: undefined });
const signal = new AbortController().signal;
const { stream, done } = await driver.dump({ kind: "redis", host: "127.0.0.1", port: ${fromPort}, password: "" }, { format: "rdb", signal });
const chunks = [];
for await (const c of stream) chunks.push(c);
await done;
await driver.restore({ kind: "redis", host: "127.0.0.1", port: ${toPort}, password: "" }, Readable.from([Buffer.concat(chunks)]), { format: "rdb", signal${scratchDir ? `, scratchDir: "${scratchDir}"` : ""} });
`,
  );
}

function scratchServer(dir: string): number | undefined {
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    if (cmdline.includes("redis-server") && cmdline.includes(`${dir}/`)) return Number(pid);
  }
  return undefined;
}
