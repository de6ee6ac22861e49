import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { COMMANDS } from "../src/bot/commands.js";
import { ENV_VARS, loadConfig } from "../src/config/env.js";
import { createWorkspace, ROOT } from "./helpers/workspace.js";

/**
 * The README, `.env.example`, docker-compose.yml and the program agree: the same environment
 * variables, and only commands that exist.
 *
 * The README's command lists are its Markdown tables whose first header cell is "command";
 * a row names a CLI command as `tele-backup <command> ...` or a bot command as `/command ...`
 * in backticks in its first cell.
 */

const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
const envExample = readFileSync(path.join(ROOT, ".env.example"), "utf8");
const compose = readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8");
/** `.env.example` lists tele-backup's own variables above this line, the compose file's below it. */
const COMPOSE_ONLY_MARKER = /^# -+ used by docker-compose\.yml only/m;

/** Rows (cells trimmed) of every table under the `## <title>` heading, up to the next `## `. */
function sectionTableRows(markdown: string, title: string): string[][] {
  const start = markdown.search(new RegExp(`^## ${title}\\s*$`, "m"));
  if (start < 0) return [];
  const rest = markdown.slice(start + 3);
  const end = rest.search(/^## /m);
  return tableRows(end < 0 ? rest : rest.slice(0, end)).flatMap((t) => t.rows);
}

/** Every Markdown table: its header cells and body rows. */
function tableRows(markdown: string): Array<{ header: string[]; rows: string[][] }> {
  const tables: Array<{ header: string[]; rows: string[][] }> = [];
  const cells = (line: string) => line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim());
  const lines = markdown.split("\n");
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.trim().startsWith("|") || !/^\s*\|?\s*:?-{3,}/.test(lines[i + 1]!)) continue;
    const table = { header: cells(lines[i]!), rows: [] as string[][] };
    for (i += 2; i < lines.length && lines[i]!.trim().startsWith("|"); i++) table.rows.push(cells(lines[i]!));
    tables.push(table);
  }
  return tables;
}

/** `NAME=value` lines (not comments) of an env file. */
function envFileNames(text: string): string[] {
  return [...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
}

function envFileValues(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.trim()]));
}

describe("environment variables", () => {
  const programVars = [...ENV_VARS].sort();
  const [ownPart = "", composePart = ""] = envExample.split(COMPOSE_ONLY_MARKER);

  it("the README's Environment table lists exactly the variables the program reads", () => {
    const rows = sectionTableRows(readme, "Environment");
    const names = rows.map((r) => /^`([A-Z][A-Z0-9_]*)`$/.exec(r[0] ?? "")?.[1]).filter((n): n is string => Boolean(n));
    expect(names.length, "the Environment table").toBe(rows.length);
    expect(new Set(names).size, "no variable twice").toBe(names.length);
    expect([...names].sort()).toEqual(programVars);
  });

  it(".env.example lists exactly the same variables, with values the program accepts", () => {
    expect(COMPOSE_ONLY_MARKER.test(envExample), ".env.example separates the compose file's variables").toBe(true);
    const own = envFileNames(ownPart);
    expect(new Set(own).size, "no variable twice").toBe(own.length);
    expect([...own].sort()).toEqual(programVars);

    // Filled in as the quick start says, the example starts.
    const values = envFileValues(ownPart);
    const env = { ...values, BOT_TOKEN: "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345678", ADMIN_IDS: "123456789", MASTER_KEY: "a-long-random-master-key-0123456789" };
    expect(() => loadConfig(env, { requireBot: true })).not.toThrow();
  });

  it("the rest of .env.example is what docker-compose.yml substitutes, and the compose file uses nothing undocumented", () => {
    const composeOnly = envFileNames(composePart);
    for (const name of composeOnly) {
      expect(ENV_VARS as readonly string[], `${name} is the program's: list it above the marker`).not.toContain(name);
      expect(compose, `${name} in .env.example is not used by docker-compose.yml`).toContain(`\${${name}`);
    }
    const substituted = [...new Set([...compose.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!))];
    for (const name of substituted) expect([...ENV_VARS, ...composeOnly], `docker-compose.yml uses \${${name}}`).toContain(name);
  });
});

describe("commands", () => {
  let cliCommands: string[];
  const tables = tableRows(readme).filter((t) => t.header[0]?.toLowerCase() === "command");
  const firstCells = tables.flatMap((t) => t.rows.map((r) => r[0] ?? ""));
  const readmeCli = firstCells.map((c) => /^`tele-backup ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)*)/.exec(c)?.[1]).filter((c): c is string => Boolean(c));
  const readmeBot = firstCells.map((c) => /^`\/([a-z0-9_]+)/.exec(c)?.[1]).filter((c): c is string => Boolean(c));

  beforeAll(async () => {
    // The program's own help text, whatever file it lives in.
    const ws = createWorkspace({ LANG: "C", LC_ALL: "", LC_MESSAGES: "" });
    try {
      const help = await ws.cli(["help"]);
      expect(help.code, help.stderr).toBe(0);
      cliCommands = parseUsage(help.stdout);
    } finally {
      ws.remove();
    }
    expect(cliCommands).toContain("backup");
  });

  it("every command in the README's command lists exists in the CLI or the bot", () => {
    expect(firstCells.length, "the README has command tables").toBeGreaterThan(0);
    for (const cell of firstCells) {
      expect(/^`(tele-backup |\/)/.test(cell), `a command-table row names no command: ${cell}`).toBe(true);
    }
    for (const c of readmeCli) expect(cliCommands, `README lists \`tele-backup ${c}\``).toContain(c);
    for (const c of readmeBot) expect(COMMANDS as readonly string[], `README lists /${c}`).toContain(c);
  });

  it("the README lists every CLI command and every bot command", () => {
    for (const c of cliCommands.filter((c) => c !== "help")) expect(readmeCli, `\`tele-backup ${c}\` is missing from the README's command tables`).toContain(c);
    for (const c of COMMANDS) expect(readmeBot, `/${c} is missing from the README's command tables`).toContain(c);
  });
});

/**
 * Command names from the usage text's command lines: two-space indent, words up to the first
 * argument (`<job>`, `[file]`, `--json`) or the description. Continuation lines start deeper.
 */
function parseUsage(usage: string): string[] {
  const names = new Set<string>();
  for (const line of usage.split("\n")) {
    const m = /^ {2}([a-z][a-z-]*(?: [a-z][a-z-]*)*)(?: |$)/.exec(line);
    if (m) names.add(m[1]!);
  }
  return [...names];
}
