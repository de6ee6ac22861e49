import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Root reads everything: the check is run as `nobody` (65534) through setpriv. */
const canDropPrivileges = process.getuid?.() === 0 && existsSync("/usr/bin/setpriv");

/**
 * The directory source's connection test reads the whole tree as the backup would and names the
 * first paths it cannot read (issue 13, item 5), instead of a backup that leaves them out.
 */
describe.skipIf(!canDropPrivileges)("directory connection test: read rights", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "tb-dir-rights-"));
    await mkdir(path.join(root, "data", "closed"), { recursive: true });
    await writeFile(path.join(root, "data", "open.txt"), "x");
    await writeFile(path.join(root, "data", "secret.txt"), "y");
    await chmod(root, 0o755);
    await chmod(path.join(root, "data"), 0o755);
    await chmod(path.join(root, "data", "open.txt"), 0o644);
    await chmod(path.join(root, "data", "secret.txt"), 0o600);
    await chmod(path.join(root, "data", "closed"), 0o700);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** The driver's check as `nobody`: "ok" or the error's message. */
  const checkAsNobody = async (dir: string): Promise<string> => {
    const script = `
      import { createDirectoryDriver } from ${JSON.stringify(path.join(HERE, "directory.ts"))};
      import { createLogger } from ${JSON.stringify(path.join(HERE, "../logger.ts"))};
      const driver = createDirectoryDriver({ log: createLogger("silent"), docker: () => { throw new Error("no docker"); }, helperImage: undefined });
      driver.check({ kind: "directory", path: ${JSON.stringify(dir)} }).then(() => console.log("ok"), (err) => console.log(err.message));`;
    const { stdout } = await run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "--import", "tsx", "--input-type=module", "-e", script], {
      cwd: path.join(HERE, "../.."),
    });
    return stdout.trim();
  };

  it("names the unreadable file and folder", async () => {
    const said = await checkAsNobody(path.join(root, "data"));
    expect(said).toContain("cannot be read");
    expect(said).toContain(path.join(root, "data", "secret.txt"));
    expect(said).toContain(path.join(root, "data", "closed"));
    expect(said).not.toContain("open.txt");
  });

  it("passes a tree that is readable throughout", async () => {
    await chmod(path.join(root, "data", "secret.txt"), 0o644);
    await chmod(path.join(root, "data", "closed"), 0o755);
    expect(await checkAsNobody(path.join(root, "data"))).toBe("ok");
  });
});
