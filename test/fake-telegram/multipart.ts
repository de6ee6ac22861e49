import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";

/**
 * A streaming multipart/form-data parser (RFC 7578). Text fields are collected in memory,
 * file parts are spooled straight to disk with backpressure, so a 50 MB upload never sits
 * in memory. It accepts what grammY sends (`content-disposition:form-data;name="x";filename=y`
 * without spaces and with an unquoted filename) as well as the quoted, spaced form browsers,
 * curl and undici's FormData send.
 */

export interface UploadedFile {
  /** The form field name (grammY uses a random id and refers to it as `attach://<id>`). */
  field: string;
  filename: string;
  contentType: string;
  /** Where the bytes are on disk; the caller owns (moves or removes) the file. Empty when `oversized`. */
  path: string;
  size: number;
  /** More than `maxFileSize` bytes arrived: they were counted, not kept. */
  oversized: boolean;
}

export interface MultipartResult {
  fields: Record<string, string>;
  files: UploadedFile[];
}

export interface MultipartOptions {
  boundary: string;
  /** Directory file parts are spooled into. */
  dir: string;
  /** Per file; larger files are drained and flagged `oversized`. */
  maxFileSize: number;
  /** Per text field; larger fields are a MultipartError. Default 1 MiB. */
  maxFieldSize?: number;
}

/** The body is not valid multipart (or ended early); the parser has removed its spooled files. */
export class MultipartError extends Error {
  override name = "MultipartError";
}

/** The boundary parameter of a `multipart/form-data` content type, or undefined. */
export function boundaryOf(contentType: string): string | undefined {
  const [type, ...rest] = contentType.split(";");
  if (type?.trim().toLowerCase() !== "multipart/form-data") return undefined;
  const params = parseParams(rest.join(";"));
  return params.boundary || undefined;
}

/**
 * Parses a whole multipart body. On any failure (malformed body, a source that throws such
 * as an aborted request) every file spooled so far is removed and the error is rethrown.
 */
export async function parseMultipart(body: AsyncIterable<Uint8Array>, options: MultipartOptions): Promise<MultipartResult> {
  const parser = new MultipartParser(options);
  try {
    for await (const chunk of body) await parser.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    return parser.end();
  } catch (error) {
    await parser.abort();
    throw error;
  }
}

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");
const MAX_HEADER_SIZE = 16 * 1024;

type State = "preamble" | "after-boundary" | "headers" | "body" | "epilogue";

interface OpenPart {
  field: string;
  file?: { info: UploadedFile; stream?: WriteStream };
  chunks: Buffer[];
  size: number;
}

class MultipartParser {
  private readonly delimiter: Buffer;
  // A virtual CRLF in front of the body lets the first boundary match the same delimiter
  // ("\r\n--boundary") as every later one.
  private buf: Buffer = Buffer.from(CRLF);
  private state: State = "preamble";
  private part: OpenPart | undefined;
  private readonly result: MultipartResult = { fields: {}, files: [] };
  private fileCounter = 0;

  constructor(private readonly options: MultipartOptions) {
    this.delimiter = Buffer.from(`\r\n--${options.boundary}`);
  }

  async write(chunk: Buffer): Promise<void> {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (await this.step());
  }

  end(): MultipartResult {
    if (this.state !== "epilogue") throw new MultipartError("multipart body ended before its closing boundary");
    return this.result;
  }

  async abort(): Promise<void> {
    const open = this.part?.file;
    if (open?.stream) await closeQuietly(open.stream);
    const paths = [...this.result.files.map((f) => f.path), open?.info.path ?? ""].filter(Boolean);
    await Promise.all(paths.map((p) => rm(p, { force: true })));
  }

  /** Consumes what it can from `buf`; false when more input is needed. */
  private async step(): Promise<boolean> {
    switch (this.state) {
      case "preamble": {
        const at = this.buf.indexOf(this.delimiter);
        if (at === -1) {
          this.buf = this.buf.subarray(Math.max(0, this.buf.length - this.delimiter.length + 1));
          return false;
        }
        this.buf = this.buf.subarray(at + this.delimiter.length);
        this.state = "after-boundary";
        return true;
      }
      case "after-boundary": {
        if (this.buf.length < 2) return false;
        if (this.buf[0] === 0x2d && this.buf[1] === 0x2d) {
          this.state = "epilogue";
          return true;
        }
        const eol = this.buf.indexOf(CRLF);
        if (eol === -1) {
          if (this.buf.length > 1024) throw new MultipartError("malformed boundary line");
          return false;
        }
        // Only transport padding (spaces, tabs) may follow a boundary before its CRLF.
        if (!/^[ \t]*$/.test(this.buf.subarray(0, eol).toString("latin1"))) throw new MultipartError("malformed boundary line");
        this.buf = this.buf.subarray(eol + 2);
        this.state = "headers";
        return true;
      }
      case "headers": {
        let headerText: string;
        if (this.buf.length >= 2 && this.buf[0] === 0x0d && this.buf[1] === 0x0a) {
          headerText = "";
          this.buf = this.buf.subarray(2);
        } else {
          const end = this.buf.indexOf(HEADER_END);
          if (end === -1) {
            if (this.buf.length > MAX_HEADER_SIZE) throw new MultipartError("part headers too large");
            return false;
          }
          headerText = this.buf.subarray(0, end).toString("utf8");
          this.buf = this.buf.subarray(end + HEADER_END.length);
        }
        this.openPart(headerText);
        this.state = "body";
        return true;
      }
      case "body": {
        const at = this.buf.indexOf(this.delimiter);
        if (at === -1) {
          // Keep a tail that could be the start of a delimiter split across chunks.
          const keep = this.delimiter.length - 1;
          if (this.buf.length > keep) {
            await this.appendToPart(this.buf.subarray(0, this.buf.length - keep));
            this.buf = this.buf.subarray(this.buf.length - keep);
          }
          return false;
        }
        await this.appendToPart(this.buf.subarray(0, at));
        await this.closePart();
        this.buf = this.buf.subarray(at + this.delimiter.length);
        this.state = "after-boundary";
        return true;
      }
      case "epilogue":
        this.buf = Buffer.alloc(0);
        return false;
    }
  }

  private openPart(headerText: string): void {
    const headers = new Map<string, string>();
    for (const line of headerText.split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const disposition = headers.get("content-disposition");
    if (!disposition) throw new MultipartError("part without content-disposition");
    const [kind, ...rest] = disposition.split(";");
    if (kind?.trim().toLowerCase() !== "form-data") throw new MultipartError(`unexpected disposition ${kind}`);
    const params = parseParams(rest.join(";"));
    const field = params.name;
    if (field === undefined) throw new MultipartError("part without a name");
    this.part = { field, chunks: [], size: 0 };

    const filename = params["filename*"] !== undefined ? decodeExtValue(params["filename*"]) : params.filename;
    if (filename === undefined) return;
    const file = path.join(this.options.dir, `upload-${process.pid}-${Date.now()}-${++this.fileCounter}`);
    const info: UploadedFile = {
      field,
      filename,
      contentType: headers.get("content-type") ?? "application/octet-stream",
      path: file,
      size: 0,
      oversized: false,
    };
    this.part.file = { info, stream: createWriteStream(file) };
  }

  private async appendToPart(data: Buffer): Promise<void> {
    const part = this.part;
    if (!part || data.length === 0) return;
    part.size += data.length;
    if (!part.file) {
      if (part.size > (this.options.maxFieldSize ?? 1024 * 1024)) throw new MultipartError(`field ${part.field} too large`);
      part.chunks.push(data);
      return;
    }
    const { info, stream } = part.file;
    info.size = part.size;
    if (!stream) return;
    if (info.size > this.options.maxFileSize) {
      // Drain the rest rather than reset the connection: the client then reads a clean 413.
      info.oversized = true;
      part.file.stream = undefined;
      await closeQuietly(stream);
      await rm(info.path, { force: true });
      info.path = "";
      return;
    }
    if (!stream.write(data)) await once(stream, "drain");
  }

  private async closePart(): Promise<void> {
    const part = this.part;
    this.part = undefined;
    if (!part) return;
    if (!part.file) {
      this.result.fields[part.field] = Buffer.concat(part.chunks).toString("utf8");
      return;
    }
    const { info, stream } = part.file;
    this.result.files.push(info);
    if (stream) {
      await new Promise<void>((resolve, reject) => {
        stream.once("error", reject);
        stream.end(() => resolve());
      });
    }
  }
}

/** Destroys a write stream and waits until its descriptor is closed (so a later rm sticks). */
async function closeQuietly(stream: WriteStream): Promise<void> {
  if (stream.closed) return;
  const closed = once(stream, "close").catch(() => undefined);
  stream.destroy();
  await closed;
}

/** Parses `; a=b; c="d"` header parameters (quoted strings with backslash escapes, or tokens). */
function parseParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    while (i < text.length && (text[i] === ";" || text[i] === " " || text[i] === "\t")) i++;
    const eq = text.indexOf("=", i);
    const semi = text.indexOf(";", i);
    if (eq === -1 || (semi !== -1 && semi < eq)) {
      i = semi === -1 ? text.length : semi;
      continue;
    }
    const key = text.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (text[i] === " ") i++;
    let value = "";
    if (text[i] === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      i++;
      // WHATWG FormData percent-escapes these three inside quoted names.
      value = value.replace(/%22/g, '"').replace(/%0D/gi, "\r").replace(/%0A/gi, "\n");
    } else {
      const end = text.indexOf(";", i);
      value = text.slice(i, end === -1 ? text.length : end).trim();
      i = end === -1 ? text.length : end;
    }
    params[key] = value;
  }
  return params;
}

/** RFC 5987 `UTF-8''percent%20encoded`. */
function decodeExtValue(value: string): string {
  const quote = value.indexOf("''");
  const encoded = quote === -1 ? value : value.slice(quote + 2);
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}
