import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../test/helpers/wait.js";
import { isOwnerAlive, killProcessGroup, ownerTag, ownerToken, processGroupRuns, processTag } from "./process-owner.js";

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

  it("killProcessGroup stops a detached group whose leader is gone, and never a live process with another start time", async () => {
    // The leader waits for a background member; once the leader is killed alone, the member keeps the group alive.
    const leader = spawn("sh", ["-c", "sleep 30 & echo $!; wait"], { detached: true, stdio: ["ignore", "pipe", "ignore"] });
    const member = Number(await new Promise<string>((resolve) => leader.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim()))));
    const tag = processTag(leader.pid!);
    expect(tag).toMatch(new RegExp(`^${leader.pid}\\.\\d+$`));
    const leaderGone = new Promise((resolve) => leader.once("exit", resolve));
    process.kill(leader.pid!, "SIGKILL");
    await leaderGone;
    expect(isOwnerAlive(String(member))).toBe(true);
    expect(processGroupRuns(leader.pid!)).toBe(true);

    expect(killProcessGroup(tag)).toBe(true);
    await waitFor("the group to stop", () => !processGroupRuns(leader.pid!), 5000, 20);
    expect(killProcessGroup(tag)).toBe(false); // nothing left to stop

    // This very process under a start time that is not its own: someone else's pid, left alone.
    const ticks = Number(ownerTag().split(".")[1]);
    expect(killProcessGroup(`${process.pid}.${ticks + 1}`)).toBe(false);
    expect(killProcessGroup("not a tag")).toBe(false);
  });
});
