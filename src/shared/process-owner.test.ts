import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { isOwnerAlive, ownerTag, ownerToken } from "./process-owner.js";

describe("process owners", () => {
  it("this process is alive under its token and its tag", () => {
    expect(ownerToken().endsWith(`:${ownerTag()}`)).toBe(true);
    expect(ownerTag().startsWith(`${process.pid}.`)).toBe(true);
    expect(isOwnerAlive(ownerToken())).toBe(true);
    expect(isOwnerAlive(ownerTag())).toBe(true);
  });

  it("a reused pid (another start time) or another boot is not the owner", () => {
    const [boot, tag] = [ownerToken().slice(0, ownerToken().lastIndexOf(":")), ownerTag()];
    const ticks = Number(tag.split(".")[1]);
    expect(isOwnerAlive(`${boot}:${process.pid}.${ticks + 1}`)).toBe(false);
    expect(isOwnerAlive(`00000000-0000-0000-0000-000000000000:${tag}`)).toBe(false);
  });

  it("a process that exited is gone; tokens from before owners were recorded count as gone", async () => {
    const child = spawn("sleep", ["30"]);
    const pid = child.pid!;
    expect(isOwnerAlive(String(pid))).toBe(true);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    expect(isOwnerAlive(String(pid))).toBe(false);
    expect(isOwnerAlive(null)).toBe(false);
    expect(isOwnerAlive("not a token")).toBe(false);
  });
});
