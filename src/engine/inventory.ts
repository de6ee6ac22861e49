import type { RunInventory } from "../db/schema.js";
import type { DumpFormat, SourceKind } from "../sources/port.js";

/**
 * What a dump holds, counted while it streams through the pipeline (no second pass over the
 * data, no second connection to the source):
 * - PostgreSQL plain SQL: one `COPY <table> … FROM stdin;` block per table; its data lines
 *   up to `\.` are its rows (COPY text format escapes newlines inside values).
 * - MySQL/MariaDB: every `CREATE TABLE` names a table; each `INSERT INTO … VALUES (…),(…);`
 *   statement (always one line in a dump: newlines in values are escaped) adds its tuples.
 * - tar (volumes, directories): regular files and their total size, from the member headers.
 * Kinds whose payload cannot be read this way (a PostgreSQL custom archive, an SQLite file, an
 * RDB snapshot) have no counter: `inventoryCounter` returns null and the run records none.
 */
export interface InventoryCounter {
  /** The pass-through stage. */
  stage: (source: AsyncIterable<Uint8Array>) => AsyncGenerator<Uint8Array>;
  /** What was counted (complete once the stage has ended). */
  result: () => RunInventory;
}

export function inventoryCounter(kind: SourceKind, format: DumpFormat): InventoryCounter | null {
  if (kind === "postgres" && format === "sql") return lineCounter(pgCopyLines());
  if (kind === "mysql" && format === "sql") return lineCounter(mysqlLines());
  if ((kind === "volume" || kind === "directory") && format === "tar") return tarCounter();
  return null;
}

/** Longest line start kept to recognise a statement (a COPY line lists every column). */
const HEAD_LIMIT = 64 * 1024;

interface LineHandler {
  /** Called once per line with its first bytes (up to HEAD_LIMIT) once the line is complete or the head is full; returns a body consumer or null. */
  start(head: Buffer, complete: boolean): ((bytes: Buffer) => void) | null;
  result(): RunInventory;
}

/** Splits the stream into lines and hands each line's start (and, on request, its rest) to `handler`. */
function lineCounter(handler: LineHandler): InventoryCounter {
  return {
    stage: async function* (source) {
      let head: Buffer[] = [];
      let headLen = 0;
      let body: ((bytes: Buffer) => void) | null | undefined; // undefined: still collecting the head
      const feed = (seg: Buffer) => {
        if (body !== undefined) {
          body?.(seg);
          return;
        }
        const room = HEAD_LIMIT - headLen;
        head.push(seg.subarray(0, room));
        headLen += Math.min(room, seg.length);
        if (headLen >= HEAD_LIMIT) {
          body = handler.start(Buffer.concat(head), false);
          head = [];
          if (seg.length > room) body?.(seg.subarray(room));
        }
      };
      const endLine = () => {
        if (body === undefined) handler.start(Buffer.concat(head), true);
        head = [];
        headLen = 0;
        body = undefined;
      };
      for await (const c of source) {
        const chunk = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
        let at = 0;
        for (;;) {
          const nl = chunk.indexOf(10, at);
          if (nl < 0) {
            if (at < chunk.length) feed(chunk.subarray(at));
            break;
          }
          if (nl > at) feed(chunk.subarray(at, nl));
          endLine();
          at = nl + 1;
        }
        yield c;
      }
      if (headLen > 0 || body !== undefined) endLine();
    },
    result: () => handler.result(),
  };
}

// pg_dump writes `COPY t  FROM stdin;` (two spaces) for a table without columns.
const COPY_LINE = /^COPY (.+?) ?(?:\(.*\))? FROM stdin;$/s;

function pgCopyLines(): LineHandler {
  const tables: Record<string, number> = {};
  let table: string | null = null;
  return {
    start(head) {
      if (table !== null) {
        if (head.length === 2 && head[0] === 0x5c && head[1] === 0x2e) table = null; // "\."
        else tables[table]! += 1;
        return null;
      }
      if (head[0] !== 0x43 /* C */) return null;
      const m = COPY_LINE.exec(head.toString("utf8"));
      if (m) {
        table = m[1]!;
        tables[table] ??= 0;
      }
      return null;
    },
    result: () => ({ kind: "rows", tables: { ...tables } }),
  };
}

const CREATE_TABLE = /^CREATE TABLE `((?:[^`]|``)+)`/;
const INSERT_INTO = /^INSERT INTO `((?:[^`]|``)+)` VALUES ?/;

function mysqlLines(): LineHandler {
  const tables: Record<string, number> = {};
  const name = (quoted: string) => Buffer.from(quoted.replace(/``/g, "`"), "latin1").toString("utf8");
  // The INSERT statement being read: it may go on over many lines (MariaDB 10.11+ writes one tuple a line).
  let insert: TupleCounter | null = null;
  return {
    start(head) {
      if (insert) {
        insert.feed(head);
        if (insert.ended) insert = null;
        return insert ? (bytes) => insert?.feed(bytes) : null;
      }
      const first = head[0];
      if (first !== 0x43 /* C */ && first !== 0x49 /* I */) return null;
      const text = head.toString("latin1");
      const created = CREATE_TABLE.exec(text);
      if (created) {
        tables[name(created[1]!)] ??= 0;
        return null;
      }
      const m = INSERT_INTO.exec(text);
      if (!m) return null;
      const table = name(m[1]!);
      const counter = tupleCounter((n) => (tables[table] = (tables[table] ?? 0) + n));
      counter.feed(head.subarray(Buffer.byteLength(m[0], "latin1")));
      if (counter.ended) return null;
      insert = counter;
      return (bytes) => insert?.feed(bytes);
    },
    result: () => ({ kind: "rows", tables: { ...tables } }),
  };
}

interface TupleCounter {
  feed(bytes: Buffer): void;
  /** The statement's closing `;` went by. */
  readonly ended: boolean;
}

/** Counts the top-level `(…)` groups of a VALUES list up to its `;`, skipping quoted strings (backslash escapes). */
function tupleCounter(add: (n: number) => void): TupleCounter {
  let depth = 0;
  let quote = 0; // the open quote character, 0 outside strings
  let escaped = false;
  let ended = false;
  return {
    get ended() {
      return ended;
    },
    feed(bytes) {
      let n = 0;
      for (let i = 0; i < bytes.length && !ended; i++) {
        const b = bytes[i]!;
        if (quote) {
          if (escaped) escaped = false;
          else if (b === 0x5c) escaped = true;
          else if (b === quote) quote = 0;
        } else if (b === 0x27 || b === 0x22) quote = b;
        else if (b === 0x28) {
          if (depth === 0) n++;
          depth++;
        } else if (b === 0x29) depth--;
        else if (b === 0x3b && depth === 0) ended = true;
      }
      if (n) add(n);
    },
  };
}

/**
 * Regular files and their bytes, from a tar stream's member headers. Sizes above 8 GiB are
 * read from the base-256 field GNU tar and ours write; pax headers are passed over.
 */
function tarCounter(): InventoryCounter {
  let files = 0;
  let bytes = 0;
  return {
    stage: async function* (source) {
      let pending = Buffer.alloc(0); // an incomplete header
      let skip = 0; // data bytes (padded) still to pass over
      let ended = false;
      for await (const c of source) {
        yield c;
        let chunk = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
        while (chunk.length > 0 && !ended) {
          if (skip > 0) {
            const n = Math.min(skip, chunk.length);
            skip -= n;
            chunk = chunk.subarray(n);
            continue;
          }
          const need = 512 - pending.length;
          pending = Buffer.concat([pending, chunk.subarray(0, need)]);
          chunk = chunk.subarray(need);
          if (pending.length < 512) break;
          const header = pending;
          pending = Buffer.alloc(0);
          if (header.every((b) => b === 0)) {
            ended = true;
            break;
          }
          const type = header[156]!;
          const size = tarNumber(header.subarray(124, 136));
          if (type === 0x30 || type === 0 || type === 0x37) {
            files++;
            bytes += size;
          }
          // Links, directories and devices carry no data; pax and long-name headers carry theirs.
          skip = type === 0x31 || type === 0x32 || type === 0x35 || type === 0x33 || type === 0x34 || type === 0x36 ? 0 : Math.ceil(size / 512) * 512;
        }
      }
    },
    result: () => ({ kind: "files", files, bytes }),
  };
}

/** A tar numeric field: octal text, or base-256 when the high bit of the first byte is set. */
function tarNumber(field: Buffer): number {
  if (field[0]! & 0x80) {
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = field.toString("latin1").replace(/\0.*$/s, "").trim();
  return text ? Number.parseInt(text, 8) : 0;
}
