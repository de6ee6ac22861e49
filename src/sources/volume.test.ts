import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { chown, link, lstat, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import type Docker from "dockerode";
import tar from "tar-stream";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { testDocker } from "../../test/helpers/docker-engine.js";
import { diffTrees, snapshotTree, writeTree } from "../../test/helpers/tree.js";
import { waitFor } from "../../test/helpers/wait.js";
import { createDockerClient } from "../docker/client.js";
import { HELPER_LABEL, runHelperScript } from "../docker/helper-container.js";
import { PROBE_STAGED_RESTORE } from "../docker/restore-volume.js";
import { STOP_LABEL } from "../docker/stop-during-backup.js";
import { createLogger } from "../logger.js";
import { createDirectoryDriver } from "./directory.js";
import { SourceError, type SourceDeps, type SourceDriver } from "./port.js";
import { createVolumeDriver } from "./volume.js";

const log = createLogger("silent");
// This suite's own: its afterEach removes every container and volume carrying it (other suites run meanwhile).
const TEST_LABEL = "tele-backup.test-volume-suite";
const signal = () => new AbortController().signal;

let docker: Docker;
let helperImage: string;
let driver: SourceDriver;
let work: string;

beforeAll(() => {
  // Throws, failing every test here, when globalSetup could not start an engine (says what to install).
  ({ docker, helperImage } = testDocker());
  driver = volumeDriver(helperImage);
});

beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "tb-volume-test-"));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
  for (const c of await docker.listContainers({ all: true, filters: { label: [TEST_LABEL] } })) {
    await docker.getContainer(c.Id).remove({ force: true });
  }
  for (const v of (await docker.listVolumes({ filters: { label: [TEST_LABEL] } })).Volumes ?? []) {
    await docker.getVolume(v.Name).remove({ force: true });
  }
});

afterAll(async () => {
  // Volumes the driver created for restores carry no label of ours: remove this suite's by name
  // (never by prefix: other suites' volumes are in use meanwhile).
  for (const name of ownVolumes) await docker?.getVolume(name).remove({ force: true }).catch(() => undefined);
});

function volumeDriver(image: string | undefined, client?: Docker): SourceDriver {
  const deps: SourceDeps = { log, docker: () => client ?? docker, helperImage: image };
  return createVolumeDriver(deps);
}

/** Every volume name this suite uses, so its checks ignore other suites' helpers. */
const ownVolumes = new Set<string>();

function uniqueName(): string {
  const name = `tb-test-${randomUUID().slice(0, 8)}`;
  ownVolumes.add(name);
  return name;
}

/** A volume made through the API and labelled for cleanup; returns its name and host path. */
async function newVolume(): Promise<{ name: string; mountpoint: string }> {
  const name = uniqueName();
  await docker.createVolume({ Name: name, Labels: { [TEST_LABEL]: "true" } });
  return { name, mountpoint: await mountpointOf(name) };
}

async function mountpointOf(name: string): Promise<string> {
  return ((await docker.getVolume(name).inspect()) as { Mountpoint: string }).Mountpoint;
}

async function seedVolume(mountpoint: string): Promise<void> {
  await writeTree(mountpoint, {
    "config.yml": "a: 1\n",
    "secret.key": { content: "0123456789abcdef", mode: 0o600 },
    "bin/run.sh": { content: "#!/bin/sh\necho hi\n", mode: 0o755 },
    "nested/deeper/file.txt": "deep\n",
    "nested/private": { dir: true, mode: 0o700 },
    "empty-dir": { dir: true },
    "данные 📦.txt": "unicode ✓\n",
    "big.bin": randomBytes(5 * 1024 * 1024 + 7),
    "links/relative": { symlink: "../config.yml" },
    "links/dangling": { symlink: "../nope" },
    "owned-by-1000.txt": "someone else's file\n",
  });
  await chown(path.join(mountpoint, "owned-by-1000.txt"), 1000, 1000);
  await link(path.join(mountpoint, "nested/deeper/file.txt"), path.join(mountpoint, "hard-link.txt"));
}

async function backupToFile(name: string, file: string, d = driver): Promise<void> {
  const dump = await d.dump({ kind: "volume", volume: name }, { format: "tar", signal: signal() });
  await pipeline(dump.stream, createWriteStream(file));
  await dump.done;
}

/** Helper containers on this suite's volumes (other suites may run volume backups at the same time). */
async function helpersLeft(): Promise<string[]> {
  const helpers = await docker.listContainers({ all: true, filters: { label: [HELPER_LABEL] } });
  return helpers.filter((c) => c.Mounts.some((m) => m.Name !== undefined && ownVolumes.has(m.Name))).map((c) => c.Id);
}

/** A running container (busybox `sleep`) that mounts the volume, optionally labelled to be stopped. */
async function startUser(volume: string, stopDuringBackup: boolean): Promise<Docker.Container> {
  const container = await docker.createContainer({
    Image: helperImage,
    Cmd: ["sleep", "3600"],
    StopSignal: "SIGKILL", // busybox sleep as PID 1 ignores SIGTERM: keep `docker stop` instant
    Labels: { [TEST_LABEL]: "true", ...(stopDuringBackup ? { [STOP_LABEL]: "true" } : {}) },
    HostConfig: { Binds: [`${volume}:/data`], NetworkMode: "none" },
  });
  await container.start();
  return container;
}

async function isRunning(container: Docker.Container): Promise<boolean> {
  return (await container.inspect()).State.Running;
}

/**
 * Backs up a seeded volume and restores it into a new, existing (empty) volume through `d` with a
 * restore token, as the RestoreService does; checks the target holds the same tree and no helper
 * is left. Returns the target's mountpoint.
 */
async function restoreIntoExistingVolume(d = driver): Promise<string> {
  const source = await newVolume();
  await seedVolume(source.mountpoint);
  const payload = path.join(work, "payload.tar");
  await backupToFile(source.name, payload);
  const target = await newVolume();
  await d.restore({ kind: "volume", volume: target.name }, createReadStream(payload), { format: "tar", signal: signal(), token: randomUUID() });
  const expected = await snapshotTree(source.mountpoint, { owner: true, mtime: true });
  expect(diffTrees(expected, await snapshotTree(target.mountpoint, { owner: true, mtime: true }))).toEqual([]);
  expect(await helpersLeft()).toEqual([]);
  return target.mountpoint;
}

/** A whole tar archive of `entries` (name, content), in order. */
async function tarBytes(entries: Array<[string, string]>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, body] of entries) pack.entry({ name }, body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `localhost/<repo>:test`: the helper image after `entrypoint` ran in it (if given), committed with `changes`. */
async function helperVariant(repo: string, options: { entrypoint?: string[]; changes?: string }): Promise<string> {
  const base = await docker.createContainer({ Image: helperImage, ...(options.entrypoint ? { Entrypoint: options.entrypoint } : { Cmd: ["true"] }), Labels: { [TEST_LABEL]: "true" } });
  if (options.entrypoint) {
    await base.start();
    await base.wait();
  }
  await base.commit({ repo: `localhost/${repo}`, tag: "test", ...(options.changes ? { changes: options.changes } : {}) });
  return `localhost/${repo}:test`;
}

describe("volume source", () => {
  test("round trip: back up, restore into a new volume, same tree (contents, modes, owners, links, empty dirs)", async () => {
    const source = await newVolume();
    await seedVolume(source.mountpoint);
    const payload = path.join(work, "payload.tar");
    await backupToFile(source.name, payload);

    const { stdout } = await promisify(execFile)("tar", ["-tf", payload]);
    const names = stdout.trim().split("\n");
    expect(names).toContain("config.yml");
    expect(names).toContain("empty-dir/");
    expect(names.filter((n) => n === "data/" || n.startsWith("data/") || n.startsWith("/"))).toEqual([]);

    const target = uniqueName();
    await driver.restore({ kind: "volume", volume: target }, createReadStream(payload), { format: "tar", signal: signal() });

    const expected = await snapshotTree(source.mountpoint, { owner: true, mtime: true });
    expect(expected["owned-by-1000.txt"]).toMatchObject({ uid: 1000, gid: 1000 });
    const restored = await mountpointOf(target);
    expect(diffTrees(expected, await snapshotTree(restored, { owner: true, mtime: true }))).toEqual([]);
    expect((await lstat(path.join(restored, "hard-link.txt"))).ino).toBe((await lstat(path.join(restored, "nested/deeper/file.txt"))).ino);
    expect(await helpersLeft()).toEqual([]);
  });

  test("restore into an existing empty volume goes through a staging folder: the same tree, and nothing else, ends in it", async () => {
    const target = await restoreIntoExistingVolume();
    expect((await readdir(target)).filter((n) => n.startsWith(".tele-backup-restore-"))).toEqual([]);
    expect((await lstat(path.join(target, "hard-link.txt"))).ino).toBe((await lstat(path.join(target, "nested/deeper/file.txt"))).ino);
  });

  test("a helper image that runs as another user (Tele-Backup's own runs as node) still moves every owner's files into place", async () => {
    const nonRoot = await helperVariant("tb-helper-nonroot", { changes: "USER 1000:1000" });
    expect((await docker.getImage(nonRoot).inspect()).Config.User).toBe("1000:1000");
    await restoreIntoExistingVolume(volumeDriver(nonRoot));
  });

  test("a helper image without a shell (a staged restore cannot run there): the restore extracts straight into the existing volume", async () => {
    const bare = await helperVariant("tb-helper-no-sh", { entrypoint: ["/bin/busybox", "rm", "/bin/sh"] });
    const probe = await runHelperScript(docker, { image: bare, volume: (await newVolume()).name, purpose: "restore-clear", script: { text: PROBE_STAGED_RESTORE, args: [] } });
    expect(probe.code).toBeNull();
    await restoreIntoExistingVolume(volumeDriver(bare));
  });

  test("a restore that fails midway into an existing empty volume leaves it empty, as it was", async () => {
    const target = await newVolume();
    // ok.txt and sub/more.txt reach the volume before the bad entry comes.
    const payload = await tarBytes([["ok.txt", "fine"], ["sub/more.txt", "also fine"], ["../../escape.txt", "evil"]]);

    await expect(
      driver.restore({ kind: "volume", volume: target.name }, Readable.from([payload]), { format: "tar", signal: signal(), token: randomUUID() }),
    ).rejects.toThrow("climbs out of the target with ..");
    expect(await readdir(target.mountpoint)).toEqual([]);
    expect(await helpersLeft()).toEqual([]);
  });

  test("a name the volume gains while the restore runs (another container writing) is neither overwritten nor mixed with the backup", async () => {
    const target = await newVolume();
    const payload = await tarBytes([["config.yml", "from the backup"], ["data/rows.bin", "from the backup"]]);
    const input = new PassThrough();
    input.write(payload.subarray(0, 1024)); // the staging folder and config.yml reach the volume
    const restoring = driver.restore({ kind: "volume", volume: target.name }, input, { format: "tar", signal: signal(), token: randomUUID() });
    restoring.catch(() => undefined);
    await waitFor("the staging folder", async () => (await readdir(target.mountpoint)).some((n) => n.startsWith(".tele-backup-restore-")));
    await writeFile(path.join(target.mountpoint, "config.yml"), "written by the app meanwhile");
    input.end(payload.subarray(1024));

    await expect(restoring).rejects.toThrow(
      `restore into volume "${target.name}" failed while moving the restored files into place (already in the volume: config.yml): nothing was moved, the volume is as it was`,
    );
    expect(await readdir(target.mountpoint)).toEqual(["config.yml"]);
    expect(await readFile(path.join(target.mountpoint, "config.yml"), "utf8")).toBe("written by the app meanwhile");
    expect(await helpersLeft()).toEqual([]);
  });

  test("moves into place the volume refuses (its root made immutable meanwhile): the error says the volume may hold part of the backup and what to do", async () => {
    const target = await newVolume();
    const input = new PassThrough();
    const restoring = driver.restore({ kind: "volume", volume: target.name }, input, { format: "tar", signal: signal(), token: randomUUID() });
    restoring.catch(() => undefined);
    const pack = tar.pack();
    pack.pipe(input);
    pack.entry({ name: "config.yml" }, "from the backup");
    await waitFor("the staging folder", async () => (await readdir(target.mountpoint)).some((n) => n.startsWith(".tele-backup-restore-")));
    await promisify(execFile)("chattr", ["+i", target.mountpoint]);
    try {
      pack.entry({ name: "data/rows.bin" }, "from the backup");
      pack.finalize();
      await expect(restoring).rejects.toThrow(
        /^restore into volume "tb-test-[\w-]+" failed while moving the restored files into place \(.*Operation not permitted.*\): the volume may hold part of the backup\. Remove the volume \(`docker volume rm tb-test-[\w-]+`\) and restore again: the restore creates it$/,
      );
      expect(await helpersLeft()).toEqual([]);
    } finally {
      await promisify(execFile)("chattr", ["-i", target.mountpoint]);
    }
  });

  test("another restore's staging folder: refused while that restore runs; settled when it does not (removed, or its moves finished)", async () => {
    const payload = async () => Readable.from([await tarBytes([["new.txt", "from this restore"]])]);
    const held: string[] = [];
    const options = async () => ({ format: "tar" as const, signal: signal(), token: randomUUID(), heldByLiveRestore: (entry: string) => held.includes(entry), input: await payload() });
    const restoreInto = async (volume: string) => {
      const { input, ...rest } = await options();
      return driver.restore({ kind: "volume", volume }, input, rest);
    };

    // A running restore's folder (its process alive): refused, and left alone.
    const busy = await newVolume();
    await writeTree(busy.mountpoint, { ".tele-backup-restore-0d4b7c1e/half.bin": "a running restore's" });
    held.push(`docker-volume:0d4b7c1e:${busy.name}`);
    await expect(restoreInto(busy.name)).rejects.toThrow(
      `Docker volume "${busy.name}" holds .tele-backup-restore-0d4b7c1e, the staging folder of another restore into it that is still running: wait for it to end, then restore again`,
    );
    expect(await readdir(path.join(busy.mountpoint, ".tele-backup-restore-0d4b7c1e"))).toEqual(["half.bin"]);

    // A dead restore's folder before its moves: removed, and this restore goes ahead.
    const killed = await newVolume();
    await writeTree(killed.mountpoint, { ".tele-backup-restore-5e6f7a8b/half.bin": "left by a killed restore" });
    await restoreInto(killed.name);
    expect(await readdir(killed.mountpoint)).toEqual(["new.txt"]);

    // A dead restore killed during its moves: they are finished, so the volume holds that backup and this restore is refused.
    const moving = await newVolume();
    await writeTree(moving.mountpoint, { "a.txt": "moved", ".tele-backup-restore-9a8b7c6d.moving": "", ".tele-backup-restore-9a8b7c6d/b.txt": "still staged" });
    await expect(restoreInto(moving.name)).rejects.toThrow(
      `Docker volume "${moving.name}" held the files of an interrupted restore that was moving them into place; that restore was finished, so the volume now holds its backup: restore into a new or empty volume`,
    );
    expect((await readdir(moving.mountpoint)).sort()).toEqual(["a.txt", "b.txt"]);
    expect(await helpersLeft()).toEqual([]);
  });

  test("volume and directory payloads share one layout: each restores through the other driver", async () => {
    const directories = createDirectoryDriver({ log, docker: () => docker, helperImage });
    const source = await newVolume();
    await seedVolume(source.mountpoint);
    const fromVolume = path.join(work, "from-volume.tar");
    await backupToFile(source.name, fromVolume);
    const asDirectory = path.join(work, "as-directory");
    await directories.restore({ kind: "directory", path: asDirectory }, createReadStream(fromVolume), { format: "tar", signal: signal() });
    const expected = await snapshotTree(source.mountpoint, { owner: true, mtime: true });
    expect(diffTrees(expected, await snapshotTree(asDirectory, { owner: true, mtime: true }))).toEqual([]);
    expect((await lstat(path.join(asDirectory, "hard-link.txt"))).nlink).toBe(2);

    const fromDirectory = path.join(work, "from-directory.tar");
    const dump = await directories.dump({ kind: "directory", path: asDirectory }, { format: "tar", signal: signal() });
    await pipeline(dump.stream, createWriteStream(fromDirectory));
    await dump.done;
    const target = uniqueName();
    await driver.restore({ kind: "volume", volume: target }, createReadStream(fromDirectory), { format: "tar", signal: signal() });
    expect(diffTrees(expected, await snapshotTree(await mountpointOf(target), { owner: true, mtime: true }))).toEqual([]);
  });

  test("labelled containers using the volume are stopped while it is read and started again before done", async () => {
    const volume = await newVolume();
    await seedVolume(volume.mountpoint);
    const labelled = await startUser(volume.name, true);
    const bystander = await startUser(volume.name, false);

    const dump = await driver.dump({ kind: "volume", volume: volume.name }, { format: "tar", signal: signal() });
    // Nothing consumed yet: the archive is open and the labelled user is down.
    expect(await isRunning(labelled)).toBe(false);
    expect(await isRunning(bystander)).toBe(true);
    expect(await helpersLeft()).toHaveLength(1);

    await pipeline(dump.stream, createWriteStream(path.join(work, "payload.tar")));
    await dump.done;
    expect(await isRunning(labelled)).toBe(true);
    expect(await isRunning(bystander)).toBe(true);
    expect(await helpersLeft()).toEqual([]);
  });

  test("a backup the reader gives up midway still restarts the containers and removes the helper", async () => {
    const volume = await newVolume();
    await seedVolume(volume.mountpoint);
    const labelled = await startUser(volume.name, true);

    const dump = await driver.dump({ kind: "volume", volume: volume.name }, { format: "tar", signal: signal() });
    for await (const _chunk of dump.stream) break; // one chunk, then the stream is destroyed
    await expect(dump.done).rejects.toThrow(`backup of volume "${volume.name}" failed: the reader closed the stream before its end`);
    expect(await isRunning(labelled)).toBe(true);
    expect(await helpersLeft()).toEqual([]);
  });

  test("an aborted backup still restarts the containers and removes the helper", async () => {
    const volume = await newVolume();
    await seedVolume(volume.mountpoint);
    const labelled = await startUser(volume.name, true);

    const controller = new AbortController();
    const dump = await driver.dump({ kind: "volume", volume: volume.name }, { format: "tar", signal: controller.signal });
    controller.abort(new Error("job cancelled"));
    await expect(dump.done).rejects.toThrow(`backup of volume "${volume.name}" failed: job cancelled`);
    expect(await isRunning(labelled)).toBe(true);
    expect(await helpersLeft()).toEqual([]);
  });

  test("check reports the engine version, a missing volume and an unreachable engine", async () => {
    const volume = await newVolume();
    await expect(driver.check({ kind: "volume", volume: volume.name })).resolves.toEqual({ serverVersion: expect.stringMatching(/^Docker Engine \d+\./) });

    const missing = uniqueName();
    await expect(driver.check({ kind: "volume", volume: missing })).rejects.toThrow(new SourceError(`Docker volume "${missing}" not found`, "volume"));
    await expect(driver.dump({ kind: "volume", volume: missing }, { format: "tar", signal: signal() })).rejects.toThrow(`Docker volume "${missing}" not found`);
    expect((await docker.listVolumes()).Volumes?.map((v) => v.Name)).not.toContain(missing);

    const nowhere = volumeDriver(helperImage, createDockerClient(`unix://${work}/no-docker.sock`));
    await expect(nowhere.check({ kind: "volume", volume: volume.name })).rejects.toThrow(`cannot reach Docker at unix://${work}/no-docker.sock`);
  });

  test("restore refuses a volume that already has content", async () => {
    const volume = await newVolume();
    await writeTree(volume.mountpoint, { "keep.txt": "mine" });
    const payload = path.join(work, "payload.tar");
    const source = await newVolume();
    await seedVolume(source.mountpoint);
    await backupToFile(source.name, payload);

    await expect(driver.restore({ kind: "volume", volume: volume.name }, createReadStream(payload), { format: "tar", signal: signal() })).rejects.toThrow(
      new SourceError(`Docker volume "${volume.name}" already has content: restore into a new or empty volume`, "volume"),
    );
    expect(await readdir(volume.mountpoint)).toEqual(["keep.txt"]);
    expect(await helpersLeft()).toEqual([]);
  });

  test("restore refuses entries that leave the volume", async () => {
    const target = await newVolume();
    const payload = await tarBytes([["ok.txt", "fine"], ["../../escape.txt", "evil"]]);

    await expect(driver.restore({ kind: "volume", volume: target.name }, Readable.from([payload]), { format: "tar", signal: signal() })).rejects.toThrow(
      'unsafe tar entry "../../escape.txt": climbs out of the target with ..',
    );
    expect(await helpersLeft()).toEqual([]);
  });

  test("a restore that fails into a volume it created removes that volume: it did not exist before", async () => {
    const name = uniqueName();
    // ok.txt is extracted into the new volume before the bad entry comes.
    const payload = await tarBytes([["ok.txt", "fine"], ["../../escape.txt", "evil"]]);

    await expect(driver.restore({ kind: "volume", volume: name }, Readable.from([payload]), { format: "tar", signal: signal() })).rejects.toThrow("climbs out of the target");
    await expect(docker.getVolume(name).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(await helpersLeft()).toEqual([]);
  });

  test("without HELPER_IMAGE outside a container, a clear error; a configured image must be present", async () => {
    const volume = await newVolume();
    await expect(volumeDriver(undefined).dump({ kind: "volume", volume: volume.name }, { format: "tar", signal: signal() })).rejects.toThrow(
      /not running in a container of this Docker engine; set HELPER_IMAGE/,
    );
    await expect(volumeDriver("localhost/not-here:1").dump({ kind: "volume", volume: volume.name }, { format: "tar", signal: signal() })).rejects.toThrow(
      'helper image "localhost/not-here:1" is not present on the Docker host (Tele-Backup never pulls images)',
    );
  });
});
