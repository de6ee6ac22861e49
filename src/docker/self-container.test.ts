import { describe, expect, test } from "vitest";
import { containerIdCandidates } from "./self-container.js";

const ID = "3f4e1c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";

describe("containerIdCandidates", () => {
  test("finds the id in the bind mounts the engine adds (/etc/hostname, /etc/hosts)", () => {
    const mountinfo = [
      "612 590 0:52 / / rw,relatime master:285 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/ABC",
      `630 612 254:1 /var/lib/docker/containers/${ID}/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda1 rw`,
      `631 612 254:1 /var/lib/docker/containers/${ID}/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw`,
    ].join("\n");
    expect(containerIdCandidates(mountinfo, "0::/\n", "app")).toEqual([ID]);
  });

  test("finds Podman's id, cgroup v1 ids and a short-id hostname", () => {
    const podman = `700 650 0:40 /containers/storage/overlay-containers/${ID}/userdata/hostname /etc/hostname rw - tmpfs tmpfs rw`;
    expect(containerIdCandidates(podman, "", "vm")).toEqual([ID]);
    expect(containerIdCandidates("", `12:memory:/docker/${ID}\n`, "vm")).toEqual([ID]);
    expect(containerIdCandidates("", "0::/\n", ID.slice(0, 12))).toEqual([ID.slice(0, 12)]);
  });

  test("finds nothing on a plain host", () => {
    expect(containerIdCandidates("22 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw", "0::/init.scope\n", "my-laptop")).toEqual([]);
  });
});
