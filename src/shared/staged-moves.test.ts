import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeTree } from "../../test/helpers/tree.js";
import { moveStagedIntoPlace, movingMarker, NothingMovedError, settleStaged } from "./staged-moves.js";

let dir: string;
let staging: string;
const immutable: string[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tb-staged-"));
  staging = path.join(dir, ".tele-backup-restore-1.2");
  await writeTree(staging, { "a.txt": "a", ".hidden": "h", "-n": "n", "sub/deeper/x.txt": "x" });
  execFileSync("ln", ["-s", "a.txt", path.join(staging, "link")]);
});

afterEach(async () => {
  for (const file of immutable.splice(0)) execFileSync("chattr", ["-i", file]);
  await rm(dir, { recursive: true, force: true });
});

const ALL = ["-n", ".hidden", "a.txt", "link", "sub"];

describe("moving a staged restore into place", () => {
  it("moves every entry up (hidden ones, links) and leaves neither the staging folder nor the marker", async () => {
    await moveStagedIntoPlace(staging);
    expect((await readdir(dir)).sort()).toEqual(ALL);
    expect(await readlink(path.join(dir, "link"))).toBe("a.txt");
    expect(await readFile(path.join(dir, "sub/deeper/x.txt"), "utf8")).toBe("x");
  });

  it("a name the folder gained meanwhile stops the moves before the first one: nothing is overwritten or moved", async () => {
    await writeFile(path.join(dir, "a.txt"), "written by the app meanwhile");
    await expect(moveStagedIntoPlace(staging)).rejects.toThrow(new NothingMovedError("already in the folder: a.txt"));
    expect((await readdir(dir)).sort()).toEqual([".tele-backup-restore-1.2", "a.txt"]);
    expect(await readFile(path.join(dir, "a.txt"), "utf8")).toBe("written by the app meanwhile");
    expect(await settleStaged(staging)).toBe("removed");
    expect(await readdir(dir)).toEqual(["a.txt"]);
  });

  it("a move that fails halfway puts back the ones before it: the folder is as it was", async () => {
    // An immutable entry cannot be renamed: the moves before it (in readdir order) are undone.
    const names = await readdir(staging);
    const stuck = names[Math.floor(names.length / 2)]!;
    execFileSync("chattr", ["+i", path.join(staging, stuck)]);
    immutable.push(path.join(staging, stuck));
    await expect(moveStagedIntoPlace(staging)).rejects.toThrow(NothingMovedError);
    expect(await readdir(dir)).toEqual([".tele-backup-restore-1.2"]);
    expect((await readdir(staging)).sort()).toEqual(ALL);
  });
});

describe("settling a stopped restore's staging folder", () => {
  it("finishes moves that had begun (the marker is there): the folder ends as the backup, never a mix", async () => {
    await writeFile(movingMarker(staging), "");
    await writeFile(path.join(dir, "moved-before-the-kill.txt"), "m"); // as if moved already
    expect(await settleStaged(staging)).toBe("finished");
    expect((await readdir(dir)).sort()).toEqual([...ALL, "moved-before-the-kill.txt"].sort());
    expect(await settleStaged(staging)).toBe("absent");
  });

  it("without the marker the payload may be partial: the staging folder is removed", async () => {
    expect(await settleStaged(staging)).toBe("removed");
    expect(await readdir(dir)).toEqual([]);
  });

  it("a name the folder already has stops the finishing moves, and the marker stays for the next try", async () => {
    await writeFile(movingMarker(staging), "");
    await writeFile(path.join(dir, "a.txt"), "someone else's");
    await expect(settleStaged(staging)).rejects.toThrow("already in the folder: a.txt");
    expect(await readFile(path.join(dir, "a.txt"), "utf8")).toBe("someone else's");
    expect(await readdir(dir)).toContain(path.basename(movingMarker(staging)));
  });
});
