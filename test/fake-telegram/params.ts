import { badRequest } from "./api-error.js";

/**
 * Typed access to method parameters. The Bot API takes the same parameters from a query
 * string, a urlencoded form, multipart fields (all strings, objects as JSON text) or a
 * JSON body (typed values); these accessors accept both spellings like the real server.
 */
export class Params {
  constructor(readonly raw: Readonly<Record<string, unknown>>) {}

  has(name: string): boolean {
    const v = this.raw[name];
    return v !== undefined && v !== null && v !== "";
  }

  str(name: string): string | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) return undefined;
    return typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v);
  }

  int(name: string): number | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null || v === "") return undefined;
    const n = typeof v === "number" ? v : Number(v);
    if (!Number.isInteger(n)) throw badRequest(`invalid ${name} specified`);
    return n;
  }

  bool(name: string): boolean {
    const v = this.raw[name];
    return v === true || v === "true" || v === "True" || v === "1" || v === 1;
  }

  /** An object/array parameter; `error` is the real server's text for unparsable JSON. */
  json<T>(name: string, error = `can't parse ${name} JSON object`): T | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string") return v as T;
    try {
      return JSON.parse(v) as T;
    } catch {
      throw badRequest(error);
    }
  }

  /** `chat_id`: an integer id or an `@channelusername`. */
  chatId(name = "chat_id"): number | string {
    const v = this.raw[name];
    if (v === undefined || v === null || v === "") throw badRequest(`${name} is empty`);
    if (typeof v === "number") return v;
    const s = String(v).trim();
    if (/^-?\d+$/.test(s)) return Number(s);
    if (s.startsWith("@")) return s;
    throw badRequest("chat not found");
  }

  requireInt(name: string, missing: string): number {
    const n = this.int(name);
    if (n === undefined) throw badRequest(missing);
    return n;
  }
}
