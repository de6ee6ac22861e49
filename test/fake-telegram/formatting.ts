import { badRequest } from "./api-error.js";

/**
 * The text a user sees after `parse_mode` markup is applied: Telegram measures the 4096/1024
 * limits on it, and rejects malformed markup with "can't parse entities". This is a
 * pragmatic subset of Telegram's parsers: it catches the mistakes a bot makes (an unescaped
 * `<` or `.`, an unsupported or unclosed tag), not every corner of the grammar.
 */
export function visibleText(text: string, parseMode: string | undefined): string {
  switch (parseMode?.toLowerCase()) {
    case undefined:
    case "":
      return text;
    case "html":
      return htmlText(text);
    case "markdownv2":
      return markdownV2Text(text);
    case "markdown":
      return text.replace(/\]\([^)]*\)/g, "").replace(/[*_`[\]]/g, "");
    default:
      throw badRequest(`unsupported parse_mode`);
  }
}

const entityError = (what: string) => badRequest(`can't parse entities: ${what}`);
const byteOffset = (s: string, i: number) => Buffer.byteLength(s.slice(0, i));

const HTML_TAGS = new Set([
  "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
  "a", "tg-emoji", "code", "pre", "blockquote", "tg-time",
]);
const NAMED_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

function htmlText(src: string): string {
  let out = "";
  const open: string[] = [];
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>/y;
  const entity = /&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/y;
  for (let i = 0; i < src.length; ) {
    const c = src[i]!;
    if (c === "<") {
      tag.lastIndex = i;
      const m = tag.exec(src);
      if (!m) throw entityError(`Unexpected end of name token at byte offset ${byteOffset(src, i)}`);
      const name = m[2]!.toLowerCase();
      if (!m[1]) {
        if (!HTML_TAGS.has(name)) throw entityError(`Unsupported start tag "${name}" at byte offset ${byteOffset(src, i)}`);
        open.push(name);
      } else {
        const expected = open.pop();
        if (expected === undefined) throw entityError(`Unexpected end tag at byte offset ${byteOffset(src, i)}`);
        if (expected !== name) {
          throw entityError(`Unmatched end tag at byte offset ${byteOffset(src, i)}, expected "</${expected}>", found "</${name}>"`);
        }
      }
      i += m[0].length;
      continue;
    }
    if (c === "&") {
      entity.lastIndex = i;
      const m = entity.exec(src);
      const body = m?.[1];
      if (m && body) {
        const decoded = body.startsWith("#x")
          ? String.fromCodePoint(parseInt(body.slice(2), 16))
          : body.startsWith("#")
            ? String.fromCodePoint(Number(body.slice(1)))
            : NAMED_ENTITIES[body.toLowerCase()];
        if (decoded !== undefined) {
          out += decoded;
          i += m[0].length;
          continue;
        }
      }
    }
    out += c;
    i++;
  }
  const unclosed = open.pop();
  if (unclosed !== undefined) throw entityError(`Can't find end tag corresponding to start tag "${unclosed}"`);
  return out;
}

const MARKDOWN_V2_RESERVED = new Set("_*[]()~`>#+-=|{}.!");

function markdownV2Text(src: string): string {
  let out = "";
  let code: "" | "`" | "```" = "";
  let lineStart = true;
  for (let i = 0; i < src.length; ) {
    const c = src[i]!;
    const atLineStart = lineStart;
    lineStart = c === "\n";
    if (c === "\\") {
      const next = src[i + 1];
      if (next === undefined) throw entityError(`Character '\\' is reserved and must be escaped with the preceding '\\'`);
      out += next;
      i += 2;
      continue;
    }
    if (code) {
      if (src.startsWith(code, i)) {
        i += code.length;
        code = "";
      } else {
        out += c;
        i++;
      }
      continue;
    }
    if (src.startsWith("```", i)) {
      code = "```";
      const eol = src.indexOf("\n", i);
      i = eol === -1 ? src.length : eol + 1; // skip the language line
      continue;
    }
    if (c === "`") {
      code = "`";
      i++;
      continue;
    }
    if (c === "]" && src[i + 1] === "(") {
      const close = src.indexOf(")", i);
      if (close === -1) throw entityError(`Can't find end of a URL at byte offset ${byteOffset(src, i)}`);
      i = close + 1;
      continue;
    }
    if ("*_~|[".includes(c) || (c === ">" && atLineStart)) {
      i++;
      continue;
    }
    if (MARKDOWN_V2_RESERVED.has(c)) {
      throw entityError(`Character '${c}' is reserved and must be escaped with the preceding '\\'`);
    }
    out += c;
    i++;
  }
  return out;
}
