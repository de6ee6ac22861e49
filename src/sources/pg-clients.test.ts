import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  findPgClients,
  parsePgToolVersion,
  parseServerVersionNum,
  pickPgClientForDump,
  requireAnyPgClient,
} from "./pg-clients.js";
import { SourceError } from "./port.js";

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "tb-pg-clients-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function fakeTool(file: string, versionLine: string, mode = 0o755): Promise<void> {
  await mkdir(join(file, ".."), { recursive: true });
  await writeFile(file, `#!/bin/sh\necho "${versionLine}"\n`);
  await chmod(file, mode);
}

async function fakeClient(base: string, major: number): Promise<void> {
  for (const tool of ["pg_dump", "pg_restore", "psql"]) {
    await fakeTool(join(base, String(major), "bin", tool), `${tool} (PostgreSQL) ${major}.4`);
  }
}

describe("findPgClients", () => {
  it("lists the versioned client directories newest first", async () => {
    const base = join(root, "lib");
    await fakeClient(base, 13);
    await fakeClient(base, 15);
    await mkdir(join(base, "not-a-version", "bin"), { recursive: true });
    await fakeTool(join(base, "16", "bin", "pg_dump"), "not executable", 0o644);
    await mkdir(join(base, "17", "bin"), { recursive: true }); // server package only, no pg_dump

    const clients = await findPgClients({ baseDir: base, pathEnv: "" });

    expect(clients.map((c) => c.major)).toEqual([15, 13]);
    expect(clients[0]).toEqual({
      major: 15,
      pgDump: join(base, "15", "bin", "pg_dump"),
      pgRestore: join(base, "15", "bin", "pg_restore"),
      psql: join(base, "15", "bin", "psql"),
    });
  });

  it("falls back to the pg_dump on PATH and reads its --version", async () => {
    const bin = join(root, "bin");
    await fakeTool(join(bin, "pg_dump"), "pg_dump (PostgreSQL) 16.4 (Debian 16.4-1)");
    await fakeTool(join(bin, "psql"), "psql (PostgreSQL) 16.4");

    const clients = await findPgClients({ baseDir: join(root, "missing"), pathEnv: bin });

    expect(clients).toHaveLength(1);
    expect(clients[0]!.major).toBe(16);
    expect(clients[0]!.pgDump).toBe(join(bin, "pg_dump"));
    expect(clients[0]!.psql).toBe(join(bin, "psql"));
  });

  it("finds nothing when nothing is installed, and says what to install", async () => {
    const clients = await findPgClients({ baseDir: join(root, "missing"), pathEnv: join(root, "empty") });
    expect(clients).toEqual([]);
    expect(() => requireAnyPgClient(clients)).toThrow(/no PostgreSQL client tools found.*install postgresql-client/);
  });
});

describe("pickPgClientForDump", () => {
  it("picks the newest client when it is at least the server's major (server 14 → client 15)", async () => {
    const base = join(root, "lib");
    await fakeClient(base, 13);
    await fakeClient(base, 15);
    const clients = await findPgClients({ baseDir: base, pathEnv: "" });

    const picked = pickPgClientForDump(clients, 14);

    expect(picked.major).toBe(15);
    expect(picked.pgDump).toBe(join(base, "15", "bin", "pg_dump"));
    expect(pickPgClientForDump(clients, 15).major).toBe(15);
    expect(pickPgClientForDump(clients, 9).major).toBe(15);
  });

  it("refuses a server newer than every installed client and names the package (server 16)", async () => {
    const base = join(root, "lib");
    await fakeClient(base, 13);
    await fakeClient(base, 15);
    const clients = await findPgClients({ baseDir: base, pathEnv: "" });

    let caught: unknown;
    try {
      pickPgClientForDump(clients, 16);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SourceError);
    expect((caught as SourceError).message).toBe(
      "PostgreSQL server is 16 but the newest pg_dump installed is 15: install postgresql-client-16",
    );
  });
});

describe("version parsing", () => {
  it("reads server_version_num of modern and pre-10 servers", () => {
    expect(parseServerVersionNum("150020\n")).toEqual({ major: 15, display: "15.20" });
    expect(parseServerVersionNum("170000")).toEqual({ major: 17, display: "17.0" });
    expect(parseServerVersionNum("90624")).toEqual({ major: 9, display: "9.6.24" });
    expect(() => parseServerVersionNum("garbage")).toThrow(SourceError);
  });

  it("reads pg_dump --version", () => {
    expect(parsePgToolVersion("pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n")).toBe(15);
    expect(parsePgToolVersion("pg_dump (PostgreSQL) 9.6.24")).toBe(9);
    expect(parsePgToolVersion("something else")).toBeUndefined();
  });
});
