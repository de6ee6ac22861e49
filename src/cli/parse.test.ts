import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { cliMessages } from "./messages.js";
import { parseCommand, UsageError } from "./parse.js";

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../main.ts");

function usageError(argv: string[]): UsageError {
  try {
    parseCommand(argv);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`${argv.join(" ")} parsed`);
}

describe("command-line mistakes are said in the reader's language", () => {
  const mistakes = [
    ["bogus"],
    ["backup"],
    ["backup", "--jsn", "x"],
    ["backup", "x", "--json=1"],
    ["restore", "5", "--to"],
    ["restore", "abc", "--to", "x"],
    ["restore", "5"],
    ["restore", "5", "--file", "f", "--replace"],
    ["restore", "5", "--to", "x", "--replace", "--new-database"],
    ["verify", "1", "2"],
    ["drill"],
    ["adopt", "nochat"],
    ["config", "import"],
    ["config", "nope"],
  ];
  const en = cliMessages("en");
  const ru = cliMessages("ru");

  it.each(mistakes.map((argv) => [argv.join(" "), argv]))("%s", (_, argv) => {
    const err = usageError(argv as string[]);
    expect(err.key).toMatch(/^cli-usage-/);
    // The English message is the English text of its key; the Russian one is another text, filled in.
    expect(en(err.key!, err.params)).toBe(err.message);
    const russian = ru(err.key!, err.params);
    expect(russian).not.toBe(err.message);
    expect(russian).toMatch(/[а-я]/);
    expect(russian).not.toMatch(/\{|\}|cli-usage/);
  });

  it("the command prints it in Russian with LANG=ru and exits 2", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", MAIN, "bogus"], { env: { ...process.env, LANG: "ru_RU.UTF-8", LC_ALL: "", LC_MESSAGES: "" }, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^tele-backup: неизвестная команда «bogus»\n\nИспользование: tele-backup/);
  });
});
