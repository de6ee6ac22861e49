import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { ApiError, badRequest, internalError, notFound, tooLarge, tooManyRequests, unauthorized } from "./api-error.js";
import { FaultQueue, type Fault } from "./faults.js";
import { findMethod, type MethodCall } from "./methods.js";
import { boundaryOf, MultipartError, parseMultipart, type UploadedFile } from "./multipart.js";
import { Params } from "./params.js";
import { DEFAULT_TOKEN, TelegramModel } from "./state.js";

/**
 * A local Bot API server for tests. It speaks the real wire protocol (JSON, urlencoded and
 * multipart requests, `{ ok, result }` envelopes, long polling, file downloads) so the real
 * grammY client, pointed at `apiRoot`, cannot tell it from api.telegram.org. The model it
 * serves (bots, chats, messages, files) and the test helpers come from TelegramModel.
 */

export interface FakeTelegramOptions {
  /** The main bot's token (default DEFAULT_TOKEN). */
  token?: string;
  botUsername?: string;
  /** Largest accepted upload per file in bytes (cloud API: 50 MB). Larger: 413. */
  uploadLimit?: number;
  /** Largest file getFile serves in bytes (cloud API: 20 MB). Larger: "file is too big". */
  downloadLimit?: number;
  /** Optional per-chat flood control: more than `messages` sends in `perSeconds` gives 429. */
  floodLimit?: { messages: number; perSeconds: number };
  host?: string;
  port?: number;
}

export interface RequestRecord {
  seq: number;
  /** Wall-clock ms when the request arrived. */
  at: number;
  httpMethod: string;
  token: string;
  /** The Bot API method as called, or "download" for `/file/bot<token>/<path>`. */
  method: string;
  /** Parameters as received: query string merged with the body (multipart/urlencoded values are strings). */
  params: Record<string, unknown>;
  files: Array<{ field: string; filename: string; size: number }>;
  fault?: Fault;
  /** "pending" while running; "dropped" when the fake cut the connection; "aborted" when the client did. */
  outcome: "pending" | "ok" | "error" | "dropped" | "aborted";
  status?: number;
  /** The JSON reply sent (`{ ok, result }` or the error envelope). */
  response?: unknown;
  /** What the call did beyond its reply (deleteMessages: `{ deleted, skipped }`). */
  effect?: Record<string, unknown>;
}

export const MB = 1024 * 1024;

export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const dir = await mkdtemp(path.join(tmpdir(), "fake-telegram-"));
  await mkdir(path.join(dir, "files"));
  await mkdir(path.join(dir, "uploads"));
  const fake = new FakeTelegram(dir, options);
  await fake.listen(options.host ?? "127.0.0.1", options.port ?? 0);
  return fake;
}

/** The socket each request arrived on (IncomingMessage.socket is cleared once it is destroyed). */
const sockets = new WeakMap<IncomingMessage, Socket>();

/** Thrown into a request body stream to cut the connection at a chosen byte. */
class DropNow extends Error {}

export class FakeTelegram extends TelegramModel {
  readonly requests: RequestRecord[] = [];
  readonly uploadLimit: number;
  private readonly faults = new FaultQueue();
  private readonly server: Server;
  private root = "";

  /** Use startFakeTelegram(). */
  constructor(
    readonly dir: string,
    options: FakeTelegramOptions,
  ) {
    super({
      filesDir: path.join(dir, "files"),
      token: options.token ?? DEFAULT_TOKEN,
      botUsername: options.botUsername ?? "fake_backup_bot",
      downloadLimit: options.downloadLimit ?? 20 * MB,
      floodLimit: options.floodLimit,
    });
    this.uploadLimit = options.uploadLimit ?? 50 * MB;
    this.server = createServer((req, res) => void this.handle(req, res));
    // grammY keeps connections alive; a long server-side idle timeout avoids reusing a
    // socket the server is just closing (a spurious ECONNRESET in tests).
    this.server.keepAliveTimeout = 60_000;
  }

  /** e.g. `http://127.0.0.1:41234`: grammY's `client.apiRoot`, or TELEGRAM_API_ROOT. */
  get apiRoot(): string {
    return this.root;
  }

  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    this.root = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
  }

  async close(): Promise<void> {
    this.wakeAllPolls();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
    await rm(this.dir, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------- fault injection

  /** The next `count` requests to `method` ("download", "*") fail with `fault`. */
  failNext(method: string, fault: Fault, count = 1): void {
    this.faults.add(method, fault, count);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  pendingFaults(method?: string): number {
    return this.faults.pending(method);
  }

  // ---------------------------------------------------------------- request log

  requestsFor(method: string): RequestRecord[] {
    const m = method.toLowerCase();
    return this.requests.filter((r) => r.method.toLowerCase() === m);
  }

  /** Every textual parameter of every request (JSON-in-strings unpacked) and every file name. */
  allTextSent(): string[] {
    const out: string[] = [];
    const walk = (value: unknown): void => {
      if (typeof value === "string") {
        out.push(value);
        if (/^\s*[[{]/.test(value)) {
          try {
            walk(JSON.parse(value));
          } catch {
            // not JSON: the raw string is already collected
          }
        }
      } else if (Array.isArray(value)) value.forEach(walk);
      else if (value !== null && typeof value === "object") Object.values(value).forEach(walk);
    };
    for (const r of this.requests) {
      walk(r.params);
      for (const f of r.files) out.push(f.filename);
    }
    return out;
  }

  /** The first finished request to `method` matching `predicate`. */
  waitForRequest(method: string, predicate: (r: RequestRecord) => boolean = () => true, timeoutMs = 10_000): Promise<RequestRecord> {
    return this.waitFor(
      () => this.requestsFor(method).find((r) => r.outcome !== "pending" && predicate(r)),
      timeoutMs,
      `a ${method} request`,
    );
  }

  // ---------------------------------------------------------------- HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    sockets.set(req, req.socket);
    const gone = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) gone.abort();
    });
    const url = new URL(req.url ?? "/", "http://fake");
    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    const call = /^\/bot([^/]+)\/([A-Za-z0-9_]+)\/?$/.exec(url.pathname);
    if (!download && !call) {
      req.resume();
      this.send(res, notFound().toJSON());
      return;
    }
    const entry: RequestRecord = {
      seq: this.requests.length + 1,
      at: Date.now(),
      httpMethod: req.method ?? "GET",
      token: (download ?? call)![1]!,
      method: download ? "download" : call![2]!,
      params: download ? { file_path: decodeURIComponent(download[2]!) } : {},
      files: [],
      outcome: "pending",
    };
    this.requests.push(entry);
    this.changed();
    const fault = this.faults.take(entry.method);
    if (fault) entry.fault = fault;
    try {
      if (download) await this.serveFile(req, res, entry, gone.signal);
      else await this.serveCall(req, res, url, entry, gone.signal);
    } catch (error) {
      // A bug in the fake: answer 500 and keep the cause in the log for the failing test.
      entry.effect = { crash: error instanceof Error ? (error.stack ?? error.message) : String(error) };
      this.finish(res, entry, internalError().toJSON());
    } finally {
      if (entry.outcome === "pending") entry.outcome = "aborted";
      this.changed();
    }
  }

  private async serveCall(req: IncomingMessage, res: ServerResponse, url: URL, entry: RequestRecord, signal: AbortSignal): Promise<void> {
    const fault = entry.fault;
    let files: UploadedFile[] = [];
    try {
      try {
        const body = await this.readParams(req, url, fault?.kind === "drop" ? fault : undefined);
        files = body.files;
        entry.params = body.params;
        entry.files = files.map((f) => ({ field: f.field, filename: f.filename, size: f.size }));
      } catch (error) {
        if (error instanceof DropNow) return this.drop(req, entry);
        if (error instanceof ApiError) return this.finish(res, entry, error.toJSON());
        if (signal.aborted || req.destroyed) {
          entry.outcome = "aborted";
          return;
        }
        if (error instanceof MultipartError) return this.finish(res, entry, badRequest(`can't parse multipart/form-data: ${error.message}`).toJSON());
        throw error;
      }

      if (fault?.kind === "drop") return this.drop(req, entry);
      const injected = faultReply(fault);
      if (injected) return this.finish(res, entry, injected.toJSON());
      if (fault?.kind === "stall" && !(await sleep(fault.ms, signal))) {
        entry.outcome = "aborted";
        return;
      }

      if (files.some((f) => f.oversized)) return this.finish(res, entry, tooLarge().toJSON());
      const bot = this.activeBot(entry.token);
      if (!bot) return this.finish(res, entry, (/^\d+:[\w-]+$/.test(entry.token) ? unauthorized() : notFound()).toJSON());
      const handler = findMethod(entry.method);
      if (!handler) return this.finish(res, entry, notFound().toJSON());

      const methodCall: MethodCall = { model: this, bot, params: new Params(entry.params), files, signal };
      let reply: unknown;
      try {
        reply = { ok: true, result: await handler(methodCall) };
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        reply = error.toJSON();
      }
      if (methodCall.effect) entry.effect = methodCall.effect;
      if (fault?.kind === "drop-response") return this.drop(req, entry);
      this.finish(res, entry, reply);
    } finally {
      // Parts no handler adopted (failed calls, thumbnails) are not kept.
      await Promise.all(files.filter((f) => f.path).map((f) => rm(f.path, { force: true })));
    }
  }

  /** GET /file/bot<token>/<file_path>: the stored bytes, with download faults applied. */
  private async serveFile(req: IncomingMessage, res: ServerResponse, entry: RequestRecord, signal: AbortSignal): Promise<void> {
    req.resume();
    const fault = entry.fault;
    const injected = faultReply(fault);
    if (injected) return this.finish(res, entry, injected.toJSON());
    const midBody = fault?.kind === "stall" && fault.afterBytes !== undefined;
    if (fault?.kind === "stall" && !midBody && !(await sleep(fault.ms, signal))) return;
    const bot = this.activeBot(entry.token);
    if (!bot) return this.finish(res, entry, unauthorized().toJSON());
    const file = this.fileByPath(bot, String(entry.params.file_path));
    if (!file) return this.finish(res, entry, notFound().toJSON());

    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": file.size });
    entry.status = 200;
    if (fault?.kind === "stall" && fault.afterBytes !== undefined) {
      const cut = Math.min(fault.afterBytes, file.size);
      if (cut > 0) {
        for await (const chunk of createReadStream(file.diskPath, { end: cut - 1 })) {
          await new Promise((resolve) => res.write(chunk, resolve));
        }
      }
      if (!(await sleep(fault.ms, signal))) return;
      try {
        if (cut < file.size) await pipeline(createReadStream(file.diskPath, { start: cut }), res);
        else res.end();
        entry.outcome = "ok";
      } catch {
        entry.outcome = "aborted";
      }
      return;
    }
    if (fault?.kind === "corrupt") {
      const bytes = await readFile(file.diskPath);
      if (bytes.length > 0) bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
      res.end(bytes);
      entry.outcome = "ok";
      return;
    }
    if (fault?.kind === "drop" || fault?.kind === "drop-response") {
      const cut = fault.kind === "drop" && fault.afterBytes !== undefined ? fault.afterBytes : Math.floor(file.size / 2);
      if (cut > 0) {
        for await (const chunk of createReadStream(file.diskPath, { end: cut - 1 })) {
          await new Promise((resolve) => res.write(chunk, resolve));
        }
      }
      return this.drop(req, entry);
    }
    try {
      await pipeline(createReadStream(file.diskPath), res);
      entry.outcome = "ok";
    } catch {
      entry.outcome = "aborted"; // the client went away mid-download
    }
  }

  /**
   * Query string + body. Multipart file parts are spooled to disk. With a drop fault the
   * body stops with DropNow at the chosen byte.
   */
  private async readParams(
    req: IncomingMessage,
    url: URL,
    drop: { afterBytes?: number } | undefined,
  ): Promise<{ params: Record<string, unknown>; files: UploadedFile[] }> {
    const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
    const contentType = req.headers["content-type"] ?? "";
    const boundary = boundaryOf(contentType);
    // A dropped upload is cut mid-body; any other dropped request after its whole body.
    const dropAfter = drop ? (drop.afterBytes ?? (boundary ? 64 * 1024 : Infinity)) : Infinity;
    const body = async function* (): AsyncGenerator<Buffer> {
      let received = 0;
      for await (const chunk of req as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received >= dropAfter) throw new DropNow();
        yield chunk;
      }
    };
    if (boundary) {
      const parsed = await parseMultipart(body(), {
        boundary,
        dir: path.join(this.dir, "uploads"),
        maxFileSize: this.uploadLimit,
      });
      return { params: { ...params, ...parsed.fields }, files: parsed.files };
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body()) {
      size += chunk.length;
      if (size > 10 * MB) throw tooLarge();
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString("utf8");
    const type = contentType.split(";")[0]!.trim().toLowerCase();
    if (type === "application/json" && text.trim() !== "") {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw badRequest("can't parse JSON encoded request");
      }
      if (json === null || typeof json !== "object" || Array.isArray(json)) throw badRequest("can't parse JSON encoded request");
      return { params: { ...params, ...(json as Record<string, unknown>) }, files: [] };
    }
    if (type === "application/x-www-form-urlencoded") {
      return { params: { ...params, ...Object.fromEntries(new URLSearchParams(text)) }, files: [] };
    }
    return { params, files: [] };
  }

  private finish(res: ServerResponse, entry: RequestRecord, reply: unknown): void {
    const status = statusOf(reply);
    entry.status = status;
    entry.response = reply;
    entry.outcome = status === 200 ? "ok" : "error";
    this.send(res, reply);
  }

  private send(res: ServerResponse, reply: unknown): void {
    if (res.destroyed || res.headersSent) return;
    const body = JSON.stringify(reply);
    res.writeHead(statusOf(reply), { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  }

  private drop(req: IncomingMessage, entry: RequestRecord): void {
    entry.outcome = "dropped";
    // Leaving a body half-read detaches the request from its socket; use the one it came on.
    sockets.get(req)?.destroy();
  }
}

/** The Bot API answers with HTTP status = error_code. */
function statusOf(reply: unknown): number {
  const { ok, error_code } = reply as { ok?: boolean; error_code?: number };
  return ok === false && error_code ? error_code : 200;
}

function faultReply(fault: Fault | undefined): ApiError | undefined {
  switch (fault?.kind) {
    case "429":
      return tooManyRequests(fault.retryAfter);
    case "500":
      return internalError();
    case "error":
      return new ApiError(fault.code, fault.description, fault.retryAfter === undefined ? undefined : { retry_after: fault.retryAfter });
    default:
      return undefined;
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
