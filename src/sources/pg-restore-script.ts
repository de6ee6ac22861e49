import { randomBytes } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { SourceError } from "./port.js";

/**
 * The psql script a PostgreSQL restore runs: a plain dump (ours, or `pg_restore --file=-`'s
 * rendering of a custom archive) wrapped so that it is all or nothing and runs SQL only.
 *
 *     \restrict <our random key>     psql refuses every meta-command from here on (\!, \o, …)
 *     BEGIN;
 *     <prelude>                      e.g. drop what the target holds (replace)
 *     <the payload, filtered>
 *     COMMIT;                        written only when the payload ENDED NORMALLY
 *
 * psql is run without --single-transaction: that flag makes psql send COMMIT at end of
 * file, even when the file was cut short by our death. Here an end of input without our
 * COMMIT (this process killed, input failed) closes the session and the server rolls back.
 *
 * The filter reads the payload with a small lexer that follows psql's own statement rules
 * (quotes, E'' strings, dollar quotes, comments, parentheses, BEGIN ATOMIC bodies, COPY …
 * FROM stdin data up to `\.`), so that it can:
 * - drop pg_dump's own `\restrict K` header line and the `\unrestrict K` line with the same
 *   key (psql would refuse them under our key);
 * - refuse any other meta-command (a backslash outside quotes and COPY data) before psql
 *   sees it — psql's \restrict stays the backstop for anything the lexer might miss;
 * - drop the `BEGIN;` / `COMMIT;` lines pg_dump writes around large objects, and refuse any
 *   other transaction command (COMMIT, END, ROLLBACK, SAVEPOINT, PREPARE TRANSACTION, …),
 *   which would end our transaction early and so break all-or-nothing;
 * - refuse a payload that ends inside a statement, string or COPY data.
 * A refusal errors the stream; the restore's runner then kills psql before its stdin
 * closes, so nothing of the payload is committed.
 */

/** The payload asked for something a restore does not do; nothing was restored. */
export class PayloadRefusedError extends SourceError {
  override name = "PayloadRefusedError";
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message, "postgres");
  }
}

/** A key for psql's `\restrict`: letters and digits only, as pg_dump makes them. */
export function restrictKey(): string {
  return randomBytes(48).toString("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, 48);
}

export interface PsqlScriptOptions {
  /** Our `\restrict` key (see `restrictKey`). */
  key: string;
  /** SQL run inside the transaction before the payload. */
  prelude?: string;
  /**
   * Print the transaction's id first (`tb-xid:<n>` on psql's stdout), so that a client killed
   * after it sent COMMIT leaves an outcome that can be asked for (`XID_MARK`, txid_status).
   */
  announceXid?: boolean;
}

/** What `announceXid` prints before the transaction's id. */
export const XID_MARK = "tb-xid:";

const TX_CONTROL = new Set(["BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE"]);

type Mode =
  | { kind: "normal" }
  | { kind: "squote"; escapes: boolean }
  | { kind: "dquote" }
  | { kind: "dollar"; tag: string }
  | { kind: "block"; depth: number }
  | { kind: "copy" };

const NL = 0x0a;
const NEWLINE = Buffer.from("\n");
const isIdentStart = (b: number) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b >= 0x80;
const isIdentChar = (b: number) => isIdentStart(b) || (b >= 0x30 && b <= 0x39) || b === 0x24;
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0b || b === 0x0c;

/** A streaming filter: payload bytes in, the whole psql script out. */
export class PsqlScript extends Transform {
  private mode: Mode = { kind: "normal" };
  private carry: Buffer[] = [];
  private lineNo = 0;
  private headerKey: string | undefined;
  private seenStatement = false;
  /** The payload ended normally and COMMIT went to psql: from here the outcome is the server's. */
  commitWritten = false;
  // the statement being read (psql's view of it)
  private words: string[] = [];
  private parenDepth = 0;
  private beginDepth = 0;
  private startedOnLine = 0;

  constructor(options: PsqlScriptOptions) {
    super();
    this.push(`\\restrict ${options.key}\nBEGIN;\n`);
    if (options.announceXid) this.push(`SELECT '${XID_MARK}' || txid_current();\n`);
    if (options.prelude) this.push(options.prelude.endsWith("\n") ? options.prelude : options.prelude + "\n");
  }

  /**
   * Lines pass through unchanged unless dropped, so the output of a chunk is the chunk minus
   * its dropped lines: pushed as one buffer per chunk (a push per line made a write to psql's
   * stdin per line, hundreds of thousands of system calls for a large table).
   */
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      const out: Buffer[] = [];
      let start = 0;
      let keptFrom = 0; // kept bytes of this chunk from here on are not in `out` yet
      for (let nl = chunk.indexOf(NL, start); nl >= 0; nl = chunk.indexOf(NL, start)) {
        if (this.carry.length) {
          // A line begun in an earlier chunk: joined, and passed on as its own piece.
          const line = Buffer.concat([...this.carry, chunk.subarray(0, nl)]);
          this.carry = [];
          if (this.line(line)) out.push(line, NEWLINE);
          keptFrom = nl + 1;
        } else if (this.mode.kind === "copy") {
          this.copyLine(chunk, start, nl); // nearly every line of a dump: read in place, always kept
        } else if (!this.line(chunk.subarray(start, nl))) {
          if (start > keptFrom) out.push(chunk.subarray(keptFrom, start));
          keptFrom = nl + 1;
        }
        start = nl + 1;
      }
      if (start > keptFrom) out.push(chunk.subarray(keptFrom, start));
      if (start < chunk.length) this.carry.push(chunk.subarray(start));
      if (out.length > 0) this.push(out.length === 1 ? out[0] : Buffer.concat(out));
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (this.carry.length) {
        const line = Buffer.concat(this.carry);
        this.carry = [];
        if (this.line(line)) this.push(Buffer.concat([line, NEWLINE]));
      }
      if (this.mode.kind === "copy") throw this.refuse("the backup ends inside the data of a COPY statement (it is cut short)");
      if (this.mode.kind !== "normal" || this.words.length > 0) throw this.refuse("the backup ends in the middle of a statement (it is cut short)");
      this.push("COMMIT;\n");
      this.commitWritten = true;
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  private refuse(why: string): PayloadRefusedError {
    return new PayloadRefusedError(`${why}; nothing was restored`, this.lineNo);
  }

  /** Reads one line (without its newline); true when it goes into the script as it is, false when it is dropped. */
  private line(line: Buffer): boolean {
    if (this.mode.kind === "copy") {
      this.copyLine(line, 0, line.length);
      return true;
    }
    this.lineNo++;
    if (this.mode.kind === "normal" && this.words.length === 0) {
      const text = line.toString("utf8").trim();
      const restrict = /^\\restrict\s+(\S+)$/.exec(text);
      if (restrict && this.headerKey === undefined && !this.seenStatement) {
        this.headerKey = restrict[1];
        return false;
      }
      const unrestrict = /^\\unrestrict\s+(\S+)$/.exec(text);
      if (unrestrict && this.headerKey !== undefined && unrestrict[1] === this.headerKey) return false;
      // pg_dump wraps large objects in BEGIN;/COMMIT;: we are in one transaction already.
      if (text === "BEGIN;" || text === "COMMIT;") {
        this.seenStatement = true;
        return false;
      }
    }
    this.scan(line);
    return true;
  }

  /** A data line of COPY, `b[from, to)` (kept as it is): only `\.` (its end) changes anything. */
  private copyLine(b: Buffer, from: number, to: number): void {
    this.lineNo++;
    const n = to - from;
    if (n >= 2 && b[from] === 0x5c && b[from + 1] === 0x2e && (n === 2 || (n === 3 && b[from + 2] === 0x0d))) this.mode = { kind: "normal" };
  }

  /** Follows psql's lexer through one line; throws on what a restore must not run. */
  private scan(b: Buffer): void {
    let i = 0;
    const n = b.length;
    while (i < n) {
      const m = this.mode;
      const c = b[i]!;
      if (m.kind === "squote") {
        if (m.escapes && c === 0x5c) {
          i += 2;
        } else if (c === 0x27) {
          if (b[i + 1] === 0x27) i += 2;
          else {
            this.mode = { kind: "normal" };
            i++;
          }
        } else i++;
        continue;
      }
      if (m.kind === "dquote") {
        if (c === 0x22) this.mode = { kind: "normal" };
        i++;
        continue;
      }
      if (m.kind === "dollar") {
        const at = b.indexOf(m.tag, i, "latin1");
        if (at < 0) return;
        i = at + m.tag.length;
        this.mode = { kind: "normal" };
        continue;
      }
      if (m.kind === "block") {
        if (c === 0x2f && b[i + 1] === 0x2a) {
          m.depth++;
          i += 2;
        } else if (c === 0x2a && b[i + 1] === 0x2f) {
          m.depth--;
          i += 2;
          if (m.depth === 0) this.mode = { kind: "normal" };
        } else i++;
        continue;
      }
      // normal
      if (isSpace(c)) {
        i++;
      } else if (c === 0x2d && b[i + 1] === 0x2d) {
        return; // -- comment to the end of the line
      } else if (c === 0x2f && b[i + 1] === 0x2a) {
        this.mode = { kind: "block", depth: 1 };
        i += 2;
      } else if (c === 0x5c) {
        const cmd = /^\\[^\s\\]*/.exec(b.subarray(i, i + 40).toString("utf8"))?.[0] ?? "\\";
        throw this.refuse(`the backup contains the psql meta-command "${cmd}" on line ${this.lineNo}; a restore runs SQL only`);
      } else if (c === 0x27) {
        this.token("'");
        this.mode = { kind: "squote", escapes: false };
        i++;
      } else if (c === 0x22) {
        this.token('"');
        this.mode = { kind: "dquote" };
        i++;
      } else if (c === 0x24) {
        const tag = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(b.subarray(i, i + 256).toString("latin1"))?.[0];
        if (tag) {
          this.token("$");
          this.mode = { kind: "dollar", tag };
          i += tag.length;
        } else i++;
      } else if (isIdentStart(c)) {
        let j = i + 1;
        while (j < n && isIdentChar(b[j]!)) j++;
        const word = b.subarray(i, j).toString("utf8");
        if ((word === "E" || word === "e") && b[j] === 0x27) {
          this.token("'");
          this.mode = { kind: "squote", escapes: true };
          i = j + 1;
          continue;
        }
        this.identifier(word);
        i = j;
      } else if (isDigit(c)) {
        let j = i + 1;
        while (j < n && (isIdentChar(b[j]!) || b[j] === 0x2e)) j++;
        this.token("0");
        i = j;
      } else if (c === 0x28) {
        this.token("(");
        this.parenDepth++;
        i++;
      } else if (c === 0x29) {
        this.token(")");
        if (this.parenDepth > 0) this.parenDepth--;
        i++;
      } else if (c === 0x3b) {
        i++;
        if (this.parenDepth === 0 && this.beginDepth === 0) this.endStatement(b, i);
      } else {
        this.token(String.fromCharCode(c));
        i++;
      }
    }
  }

  private token(t: string): void {
    if (this.words.length === 0) this.startedOnLine = this.lineNo;
    if (this.words.length < 256) this.words.push(t);
    this.seenStatement = true;
  }

  /** psql's heuristic for CREATE [OR REPLACE] FUNCTION|PROCEDURE … BEGIN ATOMIC … END. */
  private identifier(word: string): void {
    this.token(word.toUpperCase());
    const w = this.words;
    const isRoutine = w[0] === "CREATE" && (w[1] === "FUNCTION" || w[1] === "PROCEDURE" || (w[1] === "OR" && w[2] === "REPLACE" && (w[3] === "FUNCTION" || w[3] === "PROCEDURE")));
    if (!isRoutine || this.parenDepth !== 0) return;
    const u = word.toUpperCase();
    if (u === "BEGIN") this.beginDepth++;
    else if (u === "CASE" && this.beginDepth >= 1) this.beginDepth++;
    else if (u === "END" && this.beginDepth > 0) this.beginDepth--;
  }

  private endStatement(line: Buffer, _after: number): void {
    const w = this.words;
    this.words = [];
    this.parenDepth = 0;
    this.beginDepth = 0;
    const head = w[0];
    if (head === undefined) return;
    const isTx = TX_CONTROL.has(head) || (head === "PREPARE" && w[1] === "TRANSACTION");
    if (isTx) {
      throw this.refuse(`the backup contains the transaction command "${w.slice(0, 2).join(" ")}" on line ${this.startedOnLine}, which would commit part of it`);
    }
    if (head === "SET" && w.includes("STANDARD_CONFORMING_STRINGS") && (w.includes("OFF") || w.includes("FALSE") || w.includes("0"))) {
      throw this.refuse(`the backup turns standard_conforming_strings off (line ${this.startedOnLine}), which this restore does not support`);
    }
    if (head === "COPY") {
      const from = w.indexOf("FROM");
      if (from > 0 && w[from + 1] === "STDIN") {
        const rest = line.subarray(_after).toString("utf8").trim();
        if (rest) throw this.refuse(`unexpected text after the COPY statement on line ${this.lineNo}`);
        this.mode = { kind: "copy" };
      }
    }
  }
}

/**
 * Drops everything a database holds (user schemas with their objects, extensions, large
 * objects, publications, event triggers), keeping the `public` schema as it was (owner,
 * privileges, comment): run inside the restore's transaction, so the drop takes effect only
 * together with the load.
 */
export const REPLACE_PRELUDE = `DO $tb_replace$
DECLARE
  r record;
  pub_owner regrole;
  pub_acl aclitem[];
  pub_comment text;
  had_public boolean := false;
BEGIN
  SELECT true, nspowner::regrole, nspacl, obj_description(oid, 'pg_namespace')
    INTO had_public, pub_owner, pub_acl, pub_comment
    FROM pg_namespace WHERE nspname = 'public';
  FOR r IN SELECT evtname FROM pg_event_trigger LOOP EXECUTE format('DROP EVENT TRIGGER %I', r.evtname); END LOOP;
  FOR r IN SELECT pubname FROM pg_publication LOOP EXECUTE format('DROP PUBLICATION %I', r.pubname); END LOOP;
  FOR r IN SELECT oid FROM pg_largeobject_metadata LOOP PERFORM lo_unlink(r.oid); END LOOP;
  FOR r IN SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', r.nspname);
  END LOOP;
  FOR r IN SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' LOOP EXECUTE format('DROP EXTENSION %I CASCADE', r.extname); END LOOP;
  IF had_public THEN
    CREATE SCHEMA public;
    IF pub_owner::oid <> (SELECT oid FROM pg_roles WHERE rolname = current_user) THEN
      EXECUTE format('ALTER SCHEMA public OWNER TO %s', pub_owner);
    END IF;
    IF pub_acl IS NOT NULL THEN
      FOR r IN SELECT a.grantee, a.privilege_type, a.is_grantable FROM aclexplode(pub_acl) a LOOP
        EXECUTE format('GRANT %s ON SCHEMA public TO %s%s', r.privilege_type,
          CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE r.grantee::regrole::text END,
          CASE WHEN r.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
      END LOOP;
    END IF;
    IF pub_comment IS NOT NULL THEN EXECUTE format('COMMENT ON SCHEMA public IS %L', pub_comment); END IF;
  END IF;
END
$tb_replace$;
`;
