import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createLocalDestination } from "../../src/destinations/local.js";
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
});
