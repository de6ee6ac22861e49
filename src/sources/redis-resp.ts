import { connect, type Socket } from "node:net";

/** A reply as RESP2 gives it: bulk strings stay bytes (keys and DUMP payloads are binary). */
export type RespReply = string | number | Buffer | null | RespError | RespReply[];

/** An error reply (`-ERR …`, `-BUSYKEY …`): a value, not a throw, so pipelined replies stay in step. */
export class RespError {
  constructor(readonly message: string) {}
}

export type RespAddress = { host: string; port: number } | { path: string };

/**
 * A minimal RESP2 client over one socket: commands are written at once (pipelined) and
 * answered in order. Enough for what a backup needs (AUTH, INFO, SCAN, DUMP, RESTORE, DEL),
 * binary-safe, and without a dependency. Not for pub/sub or RESP3.
 */
export class RespConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly waiting: Array<{ resolve: (r: RespReply) => void; reject: (e: Error) => void }> = [];
  private failure: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      try {
        this.drain();
      } catch (err) {
        socket.destroy(err as Error);
      }
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      for (let w = this.waiting.shift(); w; w = this.waiting.shift()) w.reject(this.failure);
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("connection closed by the server")));
  }

  static open(address: RespAddress, timeoutMs = 10_000): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = "path" in address ? connect(address.path) : connect(address.port, address.host);
      const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      socket.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        socket.setNoDelay(true);
        resolve(new RespConnection(socket));
      });
    });
  }

  /** Sends every command at once; resolves with their replies in order (error replies included). */
  pipeline(commands: Array<Array<string | number | Buffer>>): Promise<RespReply[]> {
    if (this.failure) return Promise.reject(this.failure);
    const replies = commands.map(
      () => new Promise<RespReply>((resolve, reject) => this.waiting.push({ resolve, reject })),
    );
    this.socket.write(Buffer.concat(commands.map(encode)));
    return Promise.all(replies);
  }

  /** One command; an error reply is thrown as an Error with the server's text. */
  async call(...args: Array<string | number | Buffer>): Promise<RespReply> {
    const [reply] = await this.pipeline([args]);
    if (reply instanceof RespError) throw new Error(reply.message);
    return reply ?? null;
  }

  close(): void {
    this.socket.destroy();
  }

  private drain(): void {
    while (this.waiting.length > 0) {
      const parsed = parse(this.buffer, 0);
      if (!parsed) return;
      this.buffer = this.buffer.subarray(parsed.end);
      this.waiting.shift()!.resolve(parsed.value);
    }
  }
}

function encode(args: Array<string | number | Buffer>): Buffer {
  const chunks: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg));
    chunks.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(chunks);
}

/** Parses one reply starting at `at`; undefined when the buffer does not hold all of it yet. */
function parse(buf: Buffer, at: number): { value: RespReply; end: number } | undefined {
  const eol = buf.indexOf("\r\n", at);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[at]!);
  const line = buf.toString("utf8", at + 1, eol);
  const next = eol + 2;
  switch (type) {
    case "+":
      return { value: line, end: next };
    case "-":
      return { value: new RespError(line), end: next };
    case ":":
      return { value: Number(line), end: next };
    case "$": {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return undefined;
      return { value: Buffer.from(buf.subarray(next, next + len)), end: next + len + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespReply[] = [];
      let pos = next;
      for (let i = 0; i < count; i++) {
        const item = parse(buf, pos);
        if (!item) return undefined;
        items.push(item.value);
        pos = item.end;
      }
      return { value: items, end: pos };
    }
    default:
      throw new Error(`unexpected reply from the server (${JSON.stringify(type)})`);
  }
}

/** A bulk or simple string reply as text. */
export function text(reply: RespReply): string {
  if (Buffer.isBuffer(reply)) return reply.toString("utf8");
  return typeof reply === "string" ? reply : String(reply);
}

/** `INFO keyspace` → key count per database index (only non-empty ones are listed by the server). */
export function keyspace(info: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of info.matchAll(/^db(\d+):keys=(\d+)/gm)) out.set(Number(m[1]), Number(m[2]));
  return out;
}
