import type { Header } from "tar-stream";
import { describe, expect, test } from "vitest";
import { safeEntries, safeEntryPath, TarEntryError, underPrefix } from "./tar.js";

function header(name: string, extra: Partial<Header> = {}): Header {
  return {
    name, type: "file", size: 3, mode: 0o644, mtime: new Date(1_700_000_000_000), linkname: "", uid: 1000, gid: 1000,
    uname: "", gname: "", devmajor: 0, devminor: 0, pax: null, ...extra,
  };
}

describe("tar entry names", () => {
  test("safeEntryPath normalizes and refuses escapes", () => {
    expect(safeEntryPath("./a//b/./c.txt")).toBe("a/b/c.txt");
    expect(safeEntryPath("./")).toBe("");
    expect(() => safeEntryPath("a/../../b")).toThrow(TarEntryError);
    expect(() => safeEntryPath("/etc/passwd")).toThrow("is an absolute path");
    expect(() => safeEntryPath("a\0b")).toThrow("contains a NUL byte");
  });

  test("underPrefix re-roots the Docker archive (data/...), drops the root, fixes hard-link targets", () => {
    const strip = underPrefix("data");
    expect(strip(header("data/", { type: "directory" }))).toBeNull();
    expect(strip(header("data/sub", { type: "directory" }))).toMatchObject({ name: "sub/", type: "directory" });
    expect(strip(header("data/sub/a.txt"))).toMatchObject({ name: "sub/a.txt", uid: 1000, mode: 0o644 });
    expect(strip(header("data/b", { type: "link", linkname: "data/sub/a.txt" }))).toMatchObject({ name: "b", linkname: "sub/a.txt" });
    expect(strip(header("data/s", { type: "symlink", linkname: "../outside" }))).toMatchObject({ linkname: "../outside" });
    expect(() => strip(header("elsewhere/x"))).toThrow('is not under data/');
  });

  test("renamed headers keep extra PAX records but not the old path", () => {
    const h = header("data/ü.txt", { pax: { path: "data/ü.txt", mtime: "1700000000.5", "SCHILY.xattr.user.x": "1" } });
    expect(underPrefix("data")(h)).toMatchObject({ name: "ü.txt", pax: { mtime: "1700000000.5", "SCHILY.xattr.user.x": "1" } });
  });

  test("safeEntries drops the root entry and refuses hard links that leave the tree", () => {
    expect(safeEntries(header("./", { type: "directory" }))).toBeNull();
    expect(safeEntries(header("./a.txt"))).toMatchObject({ name: "a.txt" });
    expect(() => safeEntries(header("x", { type: "link", linkname: "../../etc/shadow" }))).toThrow(TarEntryError);
  });
});
