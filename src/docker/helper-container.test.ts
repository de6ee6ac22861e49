import { randomUUID } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { testDocker } from "../../test/helpers/docker-engine.js";
import { HELPER_LABEL, OWNER_LABEL, removeHelpersOf, runHelperScript } from "./helper-container.js";
import { FINISH_STAGED_RESTORE, PROBE_STAGED_RESTORE, SETTLE_STAGED_RESTORE } from "./restore-volume.js";

// Not `tele-backup.test`: the volume suite removes everything with that label when each of its tests ends.
const TEST_LABEL = "tele-backup.test-helper-scripts";
let docker: Docker;
let image: string;
const volumes: string[] = [];

beforeAll(() => {
  ({ docker, helperImage: image } = testDocker());
});

afterEach(async () => {
  for (const name of volumes.splice(0)) await docker.getVolume(name).remove({ force: true }).catch(() => undefined);
});

async function newVolume(): Promise<{ name: string; mountpoint: string }> {
  const name = `tb-test-helper-${randomUUID().slice(0, 8)}`;
  await docker.createVolume({ Name: name, Labels: { [TEST_LABEL]: "true" } });
  volumes.push(name);
  return { name, mountpoint: ((await docker.getVolume(name).inspect()) as { Mountpoint: string }).Mountpoint };
}

const script = (text: string, ...args: string[]) => ({ text, args });

describe("helper scripts on a volume", () => {
  it("run in the volume with their arguments, report exit code and output, and leave no container", async () => {
    const volume = await newVolume();
    const ok = await runHelperScript(docker, { image, volume: volume.name, purpose: "restore-clear", script: script('echo "hello $1" > /data/greeting; cat /data/greeting', "world") });
    expect(ok).toEqual({ code: 0, output: "hello world\n" });
    const failed = await runHelperScript(docker, { image, volume: volume.name, purpose: "restore-clear", script: script("echo nope >&2; exit 3") });
    expect(failed).toEqual({ code: 3, output: "nope\n" });
    expect(await runHelperScript(docker, { image, volume: volume.name, purpose: "restore-clear", script: script(PROBE_STAGED_RESTORE) })).toMatchObject({ code: 0 });
    expect(await docker.listContainers({ all: true, filters: { volume: [volume.name] } })).toEqual([]);
  });

  /** A volume whose staging folder holds the files the shell `make` commands create (in it, as the current folder). */
  async function staged(make: string): Promise<{ name: string; mountpoint: string }> {
    const volume = await newVolume();
    const made = await runHelperScript(docker, { image, volume: volume.name, purpose: "restore-clear", script: script(`mkdir -p "/data/$1" && cd "/data/$1" && ${make}`, STAGING) });
    expect(made.code, made.output).toBe(0);
    return volume;
  }
  const STAGING = ".tele-backup-restore-test";
  const ALL = "mkdir -p dir/sub && echo a > a.txt && echo h > .hidden && echo hh > ..odd && echo n > ./-n && ln -s a.txt link && touch dir/sub/x";
  const finish = (volume: string, prelude = "") => runHelperScript(docker, { image, volume, purpose: "restore-finish", script: script(prelude + FINISH_STAGED_RESTORE, STAGING) });
  const settle = (volume: string, staging = STAGING) => runHelperScript(docker, { image, volume, purpose: "restore-finish", script: script(SETTLE_STAGED_RESTORE, staging) });

  it("a staged restore's files move up into the volume, hidden names, names like options and links included", async () => {
    const volume = await staged(ALL);
    const finished = await finish(volume.name);
    expect(finished.code, finished.output).toBe(0);
    expect((await readdir(volume.mountpoint)).sort()).toEqual(["-n", "..odd", ".hidden", "a.txt", "dir", "link"]);
  });

  it("a name the volume gained meanwhile stops the moves before the first one: nothing is overwritten or moved", async () => {
    const volume = await staged(ALL);
    await writeFile(path.join(volume.mountpoint, "a.txt"), "written by another container\n");
    const finished = await finish(volume.name);
    expect(finished).toEqual({ code: 3, output: "already in the volume: a.txt\n" });
    expect((await readdir(volume.mountpoint)).sort()).toEqual([STAGING, "a.txt"]);
    expect(await readFile(path.join(volume.mountpoint, "a.txt"), "utf8")).toBe("written by another container\n");
    // Settling then removes the staging folder: the volume is as it was.
    expect(await settle(volume.name)).toEqual({ code: 0, output: "removed\n" });
    expect(await readdir(volume.mountpoint)).toEqual(["a.txt"]);
  });

  it("a move that fails halfway puts back what was moved: the volume is as it was, and settling removes the rest", async () => {
    const volume = await staged(ALL);
    // The fourth mv fails (a full or failing disk): three entries are in place by then.
    const failingMv = 'n=0; mv() { n=$((n+1)); if [ "$n" = 4 ]; then echo "mv: I/O error" >&2; return 1; fi; command mv "$@"; }\n';
    const finished = await finish(volume.name, failingMv);
    expect(finished.code, finished.output).toBe(4);
    // stderr and stdout reach the engine's log on two pipes: their order is not kept.
    expect(finished.output.trim().split("\n").sort()).toEqual(["cannot move link into place", "mv: I/O error"]);
    expect(await readdir(volume.mountpoint)).toEqual([STAGING]);
    expect((await readdir(path.join(volume.mountpoint, STAGING))).sort()).toEqual(["-n", "..odd", ".hidden", "a.txt", "dir", "link"]);
    expect(await settle(volume.name)).toEqual({ code: 0, output: "removed\n" });
    expect(await readdir(volume.mountpoint)).toEqual([]);
  });

  it("moves stopped halfway (the helper killed) are finished by settling: the volume ends as the backup, never a mix", async () => {
    const volume = await staged(ALL);
    // The script ends at the third mv, as a SIGKILL of the helper would end it: no way back is
    // taken (`exit`, as the script is the container's PID 1, which ignores its own kill -9).
    const killedMv = 'n=0; mv() { n=$((n+1)); if [ "$n" = 3 ]; then exit 137; fi; command mv "$@"; }\n';
    const killed = await finish(volume.name, killedMv);
    expect(killed.code).toBe(137);
    const midway = await readdir(volume.mountpoint);
    expect(midway).toContain(`${STAGING}.moving`);
    expect(midway).toContain(`${STAGING}.moved`);
    expect(midway.length).toBe(5); // two entries moved, the staging folder, the marker, the list of what moved
    expect(await settle(volume.name)).toEqual({ code: 0, output: "finished\n" });
    expect((await readdir(volume.mountpoint)).sort()).toEqual(["-n", "..odd", ".hidden", "a.txt", "dir", "link"]);
    expect(await readFile(path.join(volume.mountpoint, "dir/sub/x"), "utf8")).toBe("");
  });

  it("settling removes only its own staging folder, says when there was nothing, and refuses an empty name", async () => {
    const volume = await staged("mkdir x && mkdir /data/keep");
    expect(await settle(volume.name)).toEqual({ code: 0, output: "removed\n" });
    expect(await readdir(volume.mountpoint)).toEqual(["keep"]);
    expect(await settle(volume.name)).toEqual({ code: 0, output: "" });
    // Never the whole volume: an empty name is refused.
    expect((await settle(volume.name, "")).code).not.toBe(0);
    expect(await readdir(volume.mountpoint)).toEqual(["keep"]);
  });

  it("recovery lets a dead restore's last moves finish before it removes their helper", async () => {
    const volume = await newVolume();
    const owner = "-:4194305.1"; // a process that cannot exist
    const dead = await docker.createContainer({
      Image: image,
      Entrypoint: ["sh"],
      Cmd: ["-c", "sleep 2; touch /data/moved"],
      Labels: { [HELPER_LABEL]: "restore-finish", [OWNER_LABEL]: owner, [TEST_LABEL]: "true" },
      HostConfig: { Binds: [`${volume.name}:/data`], NetworkMode: "none" },
    });
    await dead.start();
    expect(await removeHelpersOf(docker, new Set([owner]))).toEqual([dead.id.slice(0, 12)]);
    expect(await readdir(volume.mountpoint)).toEqual(["moved"]);
    await expect(dead.inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it("a restore into a volume removes the helpers dead owners left on it, and no other", async () => {
    const [volume, other] = [await newVolume(), await newVolume()];
    const helper = (on: string, owner: string) =>
      docker.createContainer({ Image: image, Cmd: ["true"], Labels: { [HELPER_LABEL]: "restore", [OWNER_LABEL]: owner, [TEST_LABEL]: "true" }, HostConfig: { Binds: [`${on}:/data`], NetworkMode: "none" } });
    const dead = await helper(volume.name, "-:4194305.1");
    const live = await helper(volume.name, "-:4194305.2");
    const elsewhere = await helper(other.name, "-:4194305.1");
    try {
      const removed = await removeHelpersOf(docker, new Set(["-:4194305.1"]), volume.name);
      expect(removed).toEqual([dead.id.slice(0, 12)]);
      await expect(dead.inspect()).rejects.toMatchObject({ statusCode: 404 });
      expect((await live.inspect()).State.Status).toBe("created");
      expect((await elsewhere.inspect()).State.Status).toBe("created");
    } finally {
      for (const c of [live, elsewhere]) await c.remove({ force: true }).catch(() => undefined);
    }
  });
});
