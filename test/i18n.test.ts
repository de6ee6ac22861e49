import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { Fluent } from "@grammyjs/i18n";
import { describe, expect, it } from "vitest";
import { COMMANDS, commandDescriptionKey } from "../src/bot/commands.js";
import { SCHEDULE_PRESETS } from "../src/bot/schedule-step.js";
import { createI18n, DEFAULT_LOCALE, fluentTranslator, LOCALES_DIR, translator } from "../src/i18n.js";

/**
 * Locale files: every locale has the same files with the same keys as English, every message
 * parses and formats, no key is defined twice (files of a locale are merged), every key the
 * bot asks for exists — and no user-facing text is hard-coded in src/bot/.
 */

interface FtlMessage {
  key: string;
  /** The message's source text (value, variants, attributes). */
  body: string;
}

/** Top-level messages and terms of an .ftl file (a key starts in column 0). */
function ftlMessages(source: string): FtlMessage[] {
  const out: FtlMessage[] = [];
  let current: FtlMessage | null = null;
  for (const line of source.split("\n")) {
    const head = /^(-?[a-zA-Z][a-zA-Z0-9_-]*)\s*=(.*)$/.exec(line);
    if (head) {
      current = { key: head[1]!, body: head[2]! };
      out.push(current);
    } else if (/^\S/.test(line)) current = null; // a comment or junk ends the message
    else if (current) current.body += `\n${line}`;
  }
  return out;
}

const variablesOf = (body: string): string[] => [...new Set([...body.matchAll(/\$([a-zA-Z][\w-]*)/g)].map((m) => m[1]!))].sort();

const locales = readdirSync(LOCALES_DIR).filter((d) => statSync(path.join(LOCALES_DIR, d)).isDirectory()).sort();
const filesOf = (lang: string) => readdirSync(path.join(LOCALES_DIR, lang)).filter((f) => f.endsWith(".ftl")).sort();
const read = (lang: string, file: string) => readFileSync(path.join(LOCALES_DIR, lang, file), "utf8");

describe("locale files", () => {
  it("English and Russian exist", () => {
    expect(locales).toEqual(expect.arrayContaining(["en", "ru"]));
  });

  for (const lang of locales.filter((l) => l !== DEFAULT_LOCALE)) {
    it(`${lang} has exactly the files of ${DEFAULT_LOCALE}`, () => {
      expect(filesOf(lang)).toEqual(filesOf(DEFAULT_LOCALE));
    });

    for (const file of filesOf(DEFAULT_LOCALE)) {
      it(`${lang}/${file} has every key of ${DEFAULT_LOCALE}/${file} and no other, with the same variables`, () => {
        const en = new Map(ftlMessages(read(DEFAULT_LOCALE, file)).map((m) => [m.key, m]));
        const other = new Map(ftlMessages(read(lang, file)).map((m) => [m.key, m]));
        expect([...en.keys()].filter((k) => !other.has(k)), `missing in ${lang}/${file}`).toEqual([]);
        expect([...other.keys()].filter((k) => !en.has(k)), `only in ${lang}/${file}`).toEqual([]);
        const mismatched = [...en.values()]
          .filter((m) => other.has(m.key) && variablesOf(m.body).join(",") !== variablesOf(other.get(m.key)!.body).join(","))
          .map((m) => `${m.key}: ${variablesOf(m.body).join(",")} ≠ ${variablesOf(other.get(m.key)!.body).join(",")}`);
        expect(mismatched, "variables differ").toEqual([]);
      });
    }
  }

  for (const lang of locales) {
    it(`${lang}: every message parses and formats, and no key is defined twice across files`, () => {
      const seen = new Map<string, string>();
      const duplicates: string[] = [];
      for (const file of filesOf(lang)) {
        const source = read(lang, file);
        const problems: string[] = [];
        const fluent = new Fluent({ warningHandler: (w) => problems.push(`${w.path}: warning ${w.type}`) });
        fluent.addTranslationSync({ locales: lang, source, isDefault: true, bundleOptions: { useIsolating: false } });
        for (const m of ftlMessages(source)) {
          if (seen.has(m.key)) duplicates.push(`${m.key} (${seen.get(m.key)} and ${file})`);
          seen.set(m.key, file);
          if (m.key.startsWith("-")) continue;
          const vars = Object.fromEntries(variablesOf(m.body).map((v) => [v, 2]));
          let text = "";
          try {
            text = fluent.translate(lang, m.key, vars);
          } catch (err) {
            problems.push(`${m.key}: ${String(err)}`);
          }
          if (!text.trim()) problems.push(`${m.key}: empty (a syntax error makes the message junk)`);
        }
        expect(problems, `${lang}/${file}`).toEqual([]);
      }
      expect(duplicates).toEqual([]);
    });
  }

  it("every key the bot asks for exists in English", () => {
    const en = new Set(filesOf(DEFAULT_LOCALE).flatMap((f) => ftlMessages(read(DEFAULT_LOCALE, f)).map((m) => m.key)));
    const used = new Set<string>();
    for (const file of sourceFiles(path.join(ROOT, "src/bot"))) {
      const code = stripComments(readFileSync(file, "utf8"));
      for (const m of code.matchAll(/\b(?:t|translate)\(\s*(?:[\w.]+\s*,\s*)?"([a-z][a-z0-9]*(?:-[a-z0-9]+)+)"/g)) used.add(m[1]!);
    }
    // Keys built at run time.
    for (const c of COMMANDS) used.add(commandDescriptionKey(c));
    for (const p of SCHEDULE_PRESETS) used.add(p.key);
    for (const s of ["success", "failed", "interrupted", "running"]) used.add(`run-status-${s}`);
    for (const s of ["schedule", "manual", "cli", "startup"]) used.add(`trigger-${s}`);
    for (const s of ["running", "queued"]) used.add(`status-${s}`);
    for (const k of ["sources-title", "sources-empty", "sources-delete-confirm", "sources-deleted", "dests-title", "dests-empty", "dests-delete-confirm", "dests-deleted", "lang-name"]) used.add(k);
    expect(used.size).toBeGreaterThan(100);
    expect([...used].filter((k) => !en.has(k)).sort()).toEqual([]);
  });
});

// ------------------------------------------------------------------ hard-coded strings

const ROOT = path.resolve(LOCALES_DIR, "..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [p] : [];
  });
}

/** Removes /* *\/ and // comments (a `//` inside a string such as a URL is kept). */
function stripComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

const LITERAL = String.raw`("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|\`(?:[^\`\\]|\\.)*\`)`;
const ARG = String.raw`[^,()"'\`]+`;
/** Where a string reaches the user: the text argument of a send/edit/answer call, a button label, a text/caption option. */
const SINKS = [
  new RegExp(String.raw`\.(?:reply|replyWithDocument|answerCallbackQuery|editMessageText|editMessageCaption|text|url|switchInline\w*)\(\s*${LITERAL}`, "g"),
  new RegExp(String.raw`\.(?:sendMessage|sendDocument|editMessageText|editMessageCaption)\(\s*${ARG},\s*(?:${ARG},\s*)?${LITERAL}`, "g"),
  new RegExp(String.raw`\b(?:text|caption|description|title|placeholder|input_field_placeholder)\s*:\s*${LITERAL}`, "g"),
];

/** A literal is user-facing text when it has a letter outside `${…}` placeholders and escapes, and is not a locale key. */
function hasWords(literal: string, keys: ReadonlySet<string>): boolean {
  if (keys.has(literal.slice(1, -1))) return false;
  const inner = literal.slice(1, -1).replace(/\$\{[^}]*\}/g, "").replace(/\\./g, "");
  return /\p{L}/u.test(inner);
}

/** `file:line: snippet` for every hard-coded user-facing string. */
function findHardCodedStrings(code: string, file = "<code>", keys: ReadonlySet<string> = new Set()): string[] {
  const clean = stripComments(code);
  const found: string[] = [];
  for (const sink of SINKS) {
    for (const m of clean.matchAll(sink)) {
      const literal = m[1]!;
      if (!hasWords(literal, keys)) continue;
      const line = clean.slice(0, m.index).split("\n").length;
      found.push(`${file}:${line}: ${m[0].replace(/\s+/g, " ").slice(0, 120)}`);
    }
  }
  return found;
}

describe("no hard-coded user-facing strings in src/bot", () => {
  it("the scan catches the usual mistakes and lets translations, symbols and placeholders through", () => {
    const bad = [
      `await ctx.reply("Job started");`,
      `await ctx.reply(\`Job \${name} started\`);`,
      `ctx.editMessageText('Done!', { reply_markup: kb });`,
      `await ctx.answerCallbackQuery({ text: "Deleted" });`,
      `kb.text("Run now", "job:r:1");`,
      `new InlineKeyboard().text("◀ Back", data)`,
      `await ctx.api.sendMessage(chatId, "Backup done");`,
      `await bot.api.editMessageText(chat.id, msg.message_id, "Готово");`,
      `bot.api.setMyCommands([{ command: "jobs", description: "List jobs" }]);`,
    ];
    for (const snippet of bad) expect(findHardCodedStrings(snippet), snippet).toHaveLength(1);
    const good = [
      `await ctx.reply(ctx.t("jobs-title", { count: 2 }));`,
      `kb.text("◀", data(page - 1)).text(\`\${page + 1}/\${pages}\`, NOOP);`,
      `kb.text(\`\${job.enabled ? "🗂" : "⏸"} \${job.name}\`, open(job.id));`,
      `await ctx.reply(\`\${title}\\n\\n\${blocks.join("\\n\\n")}\`, kb);`,
      `deps.log.warn({ err }, "bot: could not edit a progress message"); // ctx.reply("x")`,
      `await ctx.answerCallbackQuery({ text: ctx.t("unhandled-button") });`,
      `await ctx.api.sendMessage(chatId, text, { reply_markup: kb });`,
      `const url = "https://example.org"; // fine`,
      `keys: { title: "jobs-title" },`,
    ];
    for (const snippet of good) expect(findHardCodedStrings(snippet, "<code>", new Set(["jobs-title"])), snippet).toEqual([]);
  });

  it("src/bot/** sends only translated text", () => {
    const files = sourceFiles(path.join(ROOT, "src/bot"));
    expect(files.length).toBeGreaterThan(10);
    const keys = new Set(filesOf(DEFAULT_LOCALE).flatMap((f) => ftlMessages(read(DEFAULT_LOCALE, f)).map((m) => m.key)));
    const found = files.flatMap((f) => findHardCodedStrings(readFileSync(f, "utf8"), path.relative(ROOT, f), keys));
    expect(found).toEqual([]);
  });
});

describe("fluentTranslator (alerts, channel posts and CLI reports without the bot's i18n plugin)", () => {
  it("says every message exactly as the bot's i18n plugin says it, in every locale, with its variables", () => {
    const plugin = translator(createI18n());
    const core = fluentTranslator();
    let compared = 0;
    for (const lang of [...locales, "de"]) {
      for (const file of filesOf(DEFAULT_LOCALE)) {
        for (const { key, body } of ftlMessages(read(DEFAULT_LOCALE, file))) {
          if (key.startsWith("-")) continue; // terms are not messages
          // Numbers select plural variants; strings fill the rest of the text.
          const params = Object.fromEntries(variablesOf(body).map((v, i) => [v, i % 2 === 0 ? 2 + i : `v-${v}`]));
          expect(core(lang, key, params), `${lang} ${key}`).toBe(plugin(lang, key, params));
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(500);
    // Missing everywhere: the plugin's marker, not an empty text.
    expect(core("ru", "no-such-message-anywhere")).toBe(plugin("ru", "no-such-message-anywhere"));
    expect(core("ru", "no-such-message-anywhere")).toBe("{no-such-message-anywhere}");
  });
});

