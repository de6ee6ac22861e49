import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createLocalDestination, STORE_MARK } from "../../src/destinations/local.js";
import { DestinationError } from "../../src/destinations/port.js";
import { destinationContract } from "./contract.js";

destinationContract("local folder", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tb-local-dest-"));
  const root = path.join(dir, "nas");
  // A folder under a regular file can never be created (ENOTDIR), whoever runs the test.
  writeFileSync(path.join(dir, "a-file"), "");
  const jobDir = path.join(root, "contract");
  const held: Array<{ close(): Promise<void> }> = [];
  return {
    destination: createLocalDestination({ name: "nas", path: root }),
    refusing: createLocalDestination({ name: "blocked", path: path.join(dir, "a-file", "backups") }),
    async copies(name) {
      let entries: string[];
      try {
        entries = readdirSync(jobDir);
      } catch {
        return 0;
      }
      return entries.filter((e) => e === name || e.startsWith(`.${name}.tmp`)).length;
    },
    repeatPut: "replaces",
    neverStored: () => ({ locator: path.join(jobDir, "never-stored.sql.001") }),
    async holdNextPut(file) {
      // A FIFO stands in for the part: the copy reads what the test writes and then waits for more.
      const fifo = `${file}.fifo`;
      execFileSync("mkfifo", [fifo]);
      const underway = (async () => {
        const writer = await open(fifo, "w"); // returns once the destination opened it for reading
        held.push(writer);
        await writer.write(Buffer.alloc(256 * 1024, 1));
      })();
      return {
        file: fifo,
        underway,
        release: async () => {
          for (const h of held.splice(0)) await h.close().catch(() => {});
        },
      };
    },
    async close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}, { hashesInPlace: true });

describe("a part spooled on the folder's filesystem", () => {
  const info = (name: string, size: number) => ({ index: 1, total: 1, name, size, sha256: "0".repeat(64) });
  const label = { runId: 1, jobName: "linked" };

  it("is stored without a copy: the stored file is the spooled one (a hard link), private, and outlives the spool's name", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tb-local-link-"));
    try {
      const spooled = path.join(dir, "spool.sql.001");
      writeFileSync(spooled, "payload bytes");
      const dest = createLocalDestination({ name: "nas", path: path.join(dir, "nas") });
      const at = await dest.putPart(label, info("db.sql.001", 13), spooled, new AbortController().signal);
      expect(statSync(at.locator).ino).toBe(statSync(spooled).ino);
      expect(statSync(at.locator).mode & 0o777).toBe(0o600);
      rmSync(spooled); // what the spool does once the part is delivered
      expect(readFileSync(at.locator, "utf8")).toBe("payload bytes");
      expect(readdirSync(path.dirname(at.locator))).toEqual(["db.sql.001"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!existsSync("/dev/shm") || statSync("/dev/shm").dev === statSync(tmpdir()).dev)("on another filesystem, is copied", async () => {
    const spoolDir = mkdtempSync(path.join("/dev/shm", "tb-local-spool-"));
    const dir = mkdtempSync(path.join(tmpdir(), "tb-local-copy-"));
    try {
      const spooled = path.join(spoolDir, "spool.sql.001");
      writeFileSync(spooled, "payload bytes");
      const dest = createLocalDestination({ name: "nas", path: dir });
      const at = await dest.putPart(label, info("db.sql.001", 13), spooled, new AbortController().signal);
      expect(statSync(at.locator).ino).not.toBe(statSync(spooled).ino);
      expect(readFileSync(at.locator, "utf8")).toBe("payload bytes");
      expect(readdirSync(path.dirname(at.locator))).toEqual(["db.sql.001"]);
    } finally {
      rmSync(spoolDir, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("temp files a killed run left in the folder", () => {
  it("discardUnfinished removes exactly the run's temp files (parts and manifest), nothing stored, nothing of another run", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tb-local-unfinished-"));
    try {
      const dest = createLocalDestination({ name: "nas", path: dir });
      const job = path.join(dir, "app");
      const file = "app_20260101-030000.sql.gz";
      const ours = [`.${file}.002.tmp-4194305`, `.${file}.manifest.json.tmp-4194305`];
      const kept = [`${file}.001`, `.${file}.age.001.tmp-4194305`, `.app_20260102-030000.sql.gz.001.tmp-4194305`, "notes.txt"];
      mkdirSync(job);
      for (const name of [...ours, ...kept]) writeFileSync(path.join(job, name), "x");

      expect((await dest.discardUnfinished!({ runId: 7, jobName: "app" }, file)).sort()).toEqual(ours.map((n) => path.join(job, n)).sort());
      expect(readdirSync(job).sort()).toEqual([...kept].sort());
      expect(await dest.discardUnfinished!({ runId: 8, jobName: "never-ran" }, "never-ran_20260101-030000.sql")).toEqual([]);

      // A job folder that cannot be listed (a file in its place): a DestinationError naming it.
      writeFileSync(path.join(dir, "blocked"), "not a folder");
      await expect(dest.discardUnfinished!({ runId: 9, jobName: "blocked" }, "blocked_20260101-030000.sql")).rejects.toMatchObject({
        name: "DestinationError",
        message: expect.stringContaining(`cannot read ${path.join(dir, "blocked")}`),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a folder that is not the one the backups went to (a disk not mounted)", () => {
  const copy = { jobName: "app", name: "app_20260101-030000.sql.gz.manifest.json", locator: null };
  const inFolder = (fn: (dir: string) => Promise<void>) => async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tb-local-mark-"));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it(
    "a new destination (nothing recorded) gets its mark, private; confirming again changes nothing",
    inFolder(async (dir) => {
      const root = path.join(dir, "nas", "backups");
      const dest = createLocalDestination({ name: "nas", path: root });
      await dest.confirmStore!([]);
      expect(readdirSync(root)).toEqual([STORE_MARK]);
      expect(statSync(path.join(root, STORE_MARK)).mode & 0o777).toBe(0o600);
      const text = readFileSync(path.join(root, STORE_MARK), "utf8");
      await dest.confirmStore!([copy]); // the mark is enough: recorded copies are not looked for
      expect(readFileSync(path.join(root, STORE_MARK), "utf8")).toBe(text);
    }),
  );

  it(
    "a folder written to before marks existed (a recorded copy is there) gets its mark",
    inFolder(async (dir) => {
      mkdirSync(path.join(dir, "app"));
      writeFileSync(path.join(dir, "app", copy.name), "{}");
      const other = { jobName: "app", name: "app_20251231-030000.sql.gz.manifest.json", locator: path.join(dir, "app", "app_20251231-030000.sql.gz.manifest.json") }; // pruned by hand
      await createLocalDestination({ name: "nas", path: dir }).confirmStore!([other, copy]);
      expect(existsSync(path.join(dir, STORE_MARK))).toBe(true);
    }),
  );

  it(
    "an empty folder where backups were recorded (the mountpoint of a disk not mounted) is refused and left as it was",
    inFolder(async (dir) => {
      const dest = createLocalDestination({ name: "nas", path: dir });
      const refusal = dest.confirmStore!([copy]);
      await expect(refusal).rejects.toBeInstanceOf(DestinationError);
      await expect(refusal).rejects.toMatchObject({
        name: "StoreMissingError",
        path: dir,
        permanent: true,
        key: "dest-error-local-not-mounted",
        params: { name: "nas", path: dir, mark: path.join(dir, STORE_MARK) },
        message: expect.stringContaining("is its disk mounted? Nothing was written"),
      });
      expect(readdirSync(dir)).toEqual([]);

      // A mountpoint that is not even there: refused, and not created.
      const gone = path.join(dir, "mnt", "nas");
      await expect(createLocalDestination({ name: "nas", path: gone }).confirmStore!([copy])).rejects.toMatchObject({ key: "dest-error-local-not-mounted" });
      expect(existsSync(path.join(dir, "mnt"))).toBe(false);
    }),
  );

  it(
    "a destination whose path was changed: copies recorded under the old folder say nothing about the new one, which is marked",
    inFolder(async (dir) => {
      const old = path.join(dir, "old");
      const moved = { ...copy, locator: path.join(old, "app", copy.name) };
      const dest = createLocalDestination({ name: "nas", path: path.join(dir, "new") });
      await dest.confirmStore!([moved]);
      expect(readdirSync(path.join(dir, "new"))).toEqual([STORE_MARK]);
      // The same copy recorded in this folder (its disk not mounted) is looked for, and refused.
      const here = createLocalDestination({ name: "nas", path: old });
      await expect(here.confirmStore!([moved])).rejects.toMatchObject({ key: "dest-error-local-not-mounted" });
    }),
  );

  it(
    "emptied on purpose: with its mark kept (`rm -rf folder/*` keeps it) or made by hand, it is used again",
    inFolder(async (dir) => {
      const dest = createLocalDestination({ name: "nas", path: dir });
      writeFileSync(path.join(dir, STORE_MARK), "");
      await dest.confirmStore!([copy]);
      expect(readdirSync(dir)).toEqual([STORE_MARK]);
    }),
  );

  it(
    "a mark that cannot be looked for or written is the folder's own failure, not a missing disk",
    inFolder(async (dir) => {
      writeFileSync(path.join(dir, "a-file"), "");
      const dest = createLocalDestination({ name: "nas", path: path.join(dir, "a-file", "backups") });
      await expect(dest.confirmStore!([])).rejects.toMatchObject({ name: "DestinationError", permanent: true, key: "dest-error-local", message: expect.stringContaining("cannot write to") });
    }),
  );
});
