import { randomUUID } from "node:crypto";
import { readdir } from "node:fs/promises";
import type Docker from "dockerode";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { testDocker } from "../../test/helpers/docker-engine.js";
import { HELPER_LABEL, OWNER_LABEL, removeHelpersOf, runHelperScript } from "./helper-container.js";
import { CLEAR_STAGED_RESTORE, FINISH_STAGED_RESTORE, PROBE_STAGED_RESTORE } from "./restore-volume.js";

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

  it("a staged restore's files move up into the volume, hidden names and links included; clearing removes only the staging folder", async () => {
    const volume = await newVolume();
    const staging = ".tele-backup-restore-test";
    const made = await runHelperScript(docker, {
      image, volume: volume.name, purpose: "restore-clear",
      script: script('mkdir -p "/data/$1/dir/sub" && echo a > "/data/$1/a.txt" && echo h > "/data/$1/.hidden" && echo hh > "/data/$1/..odd" && ln -s a.txt "/data/$1/link" && touch "/data/$1/dir/sub/x"', staging),
    });
    expect(made.code, made.output).toBe(0);
    const finished = await runHelperScript(docker, { image, volume: volume.name, purpose: "restore-finish", script: script(FINISH_STAGED_RESTORE, staging) });
    expect(finished.code, finished.output).toBe(0);
    expect((await readdir(volume.mountpoint)).sort()).toEqual(["..odd", ".hidden", "a.txt", "dir", "link"]);

    const other = await newVolume();
    await runHelperScript(docker, { image, volume: other.name, purpose: "restore-clear", script: script('mkdir -p "/data/$1/x" /data/keep', staging) });
    expect(await runHelperScript(docker, { image, volume: other.name, purpose: "restore-clear", script: script(CLEAR_STAGED_RESTORE, staging) })).toEqual({ code: 0, output: "removed\n" });
    expect(await readdir(other.mountpoint)).toEqual(["keep"]);
    expect(await runHelperScript(docker, { image, volume: other.name, purpose: "restore-clear", script: script(CLEAR_STAGED_RESTORE, staging) })).toEqual({ code: 0, output: "" });
    // Never the whole volume: an empty name is refused.
    expect((await runHelperScript(docker, { image, volume: other.name, purpose: "restore-clear", script: script(CLEAR_STAGED_RESTORE, "") })).code).not.toBe(0);
    expect(await readdir(other.mountpoint)).toEqual(["keep"]);
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
});
