import { describe, expect, test } from "vitest";
import { excludeMatcher, usableExclude } from "./exclude.js";

describe("exclude patterns", () => {
  const matches = (patterns: string[], rel: string, isDirectory = false) => excludeMatcher(patterns)(rel, isDirectory);

  test("a pattern without / matches a name at any depth; * and ? stay within one segment", () => {
    expect(matches(["*.log"], "app.log")).toBe(true);
    expect(matches(["*.log"], "var/log/app.log")).toBe(true);
    expect(matches(["*.log"], "app.log.1")).toBe(false);
    expect(matches(["node_modules"], "web/node_modules", true)).toBe(true);
    expect(matches(["cache?"], "cache1")).toBe(true);
    expect(matches(["cache?"], "cache12")).toBe(false);
  });

  test("a pattern with / matches from the source folder; ** spans segments", () => {
    expect(matches(["cache/tmp"], "cache/tmp", true)).toBe(true);
    expect(matches(["cache/tmp"], "web/cache/tmp", true)).toBe(false);
    expect(matches(["data/*.tmp"], "data/a.tmp")).toBe(true);
    expect(matches(["data/*.tmp"], "data/x/a.tmp")).toBe(false);
    expect(matches(["data/**/*.tmp"], "data/a.tmp")).toBe(true);
    expect(matches(["data/**/*.tmp"], "data/x/y/a.tmp")).toBe(true);
    expect(matches(["**/sessions"], "a/b/sessions", true)).toBe(true);
    expect(matches(["logs/**"], "logs/2026/app.log")).toBe(true);
  });

  test("a trailing / matches directories only; other characters are literal; no patterns exclude nothing", () => {
    expect(matches(["cache/"], "cache", true)).toBe(true);
    expect(matches(["cache/"], "cache", false)).toBe(false);
    expect(matches(["a+b (1).txt"], "a+b (1).txt")).toBe(true);
    expect(matches(["a.txt"], "abtxt")).toBe(false);
    expect(matches([], "anything")).toBe(false);
    expect(excludeMatcher(undefined)("x", false)).toBe(false);
  });

  test("patterns that cannot match are told apart", () => {
    expect(usableExclude("*.log")).toBe(true);
    expect(usableExclude("cache/")).toBe(true);
    for (const bad of ["", " ", "/etc", "../up", "a/./b", "a\0b"]) expect(usableExclude(bad), bad).toBe(false);
  });
});
