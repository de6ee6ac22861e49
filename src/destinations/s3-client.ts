import { createHash, createHmac } from "node:crypto";
import { createReadStream } from "node:fs";
import http from "node:http";
import https from "node:https";
import { PassThrough, type Readable } from "node:stream";

/**
 * A small S3 client: AWS Signature Version 4 (header auth) over node:http(s), and the eight
 * calls the `s3` destination needs (PUT, GET, HEAD, DELETE object; create, upload part,
 * complete, abort and list multipart uploads). Written here rather than taken from
 * @aws-sdk/client-s3 because the SDK (with lib-storage and its @smithy tree) adds tens of
 * megabytes to the image for these calls, and brings its own retry loop, which would nest
 * inside the runner's (src/shared/retry-policy.ts: exactly one layer retries). This client
 * sends every request once; the caller decides about retrying.
 *
 * Request bodies are streamed from the part file (a byte range for a multipart chunk) and
 * their sha256 is signed (`x-amz-content-sha256`), so the server refuses a body that was
 * damaged on the way. A failure is an `S3RequestError` with the HTTP status and S3's error
 * code; `status` 0 is a network failure (refused, reset, dropped, timed out).
 */
interface S3ClientOptions {
  /** `https://s3.eu-central-1.amazonaws.com`, `http://minio:9000`, … */
  endpoint: string;
  region: string;
  bucket: string;
  /** `endpoint/bucket/key` instead of `bucket.endpoint/key` (MinIO, Garage, Ceph and most self-hosted servers). */
  pathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  /** A request whose socket is idle this long fails (as a network failure). */
  idleTimeoutMs?: number;
}

export class S3RequestError extends Error {
  override name = "S3RequestError";
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A request body: nothing, a small buffer, or a byte range of a file (`end` inclusive) with its known sha256. */
type S3Body = { buffer: Buffer } | { file: string; start: number; end: number; sha256: string };

interface S3Response {
  status: number;
  headers: http.IncomingHttpHeaders;
}

const EMPTY_SHA256 = createHash("sha256").update("").digest("hex");

export function createS3Client(o: S3ClientOptions) {
  const base = new URL(o.endpoint);
  const transport = base.protocol === "https:" ? https : http;
  const basePath = base.pathname.replace(/\/+$/, "");
  const host = o.pathStyle ? base.host : `${o.bucket}.${base.host}`;

  const pathOf = (key: string) => `${basePath}${o.pathStyle ? `/${uriEncode(o.bucket)}` : ""}/${key.split("/").map(uriEncode).join("/")}`;

  /** Sends one signed request; resolves once the status and headers are in. */
  function send(
    method: string,
    key: string,
    options: { query?: Record<string, string>; headers?: Record<string, string>; body?: S3Body; signal?: AbortSignal },
  ): Promise<http.IncomingMessage> {
    const query = options.query ?? {};
    const body = options.body;
    const payloadHash = !body ? EMPTY_SHA256 : "buffer" in body ? sha256Hex(body.buffer) : body.sha256;
    const length = !body ? 0 : "buffer" in body ? body.buffer.length : body.end - body.start + 1;
    const headers: Record<string, string> = {
      ...lowerKeys(options.headers ?? {}),
      host,
      "x-amz-content-sha256": payloadHash,
      "x-amz-date": amzDate(new Date()),
      "content-length": String(length),
    };
    const path = pathOf(key);
    headers.authorization = authorization({ method, path, query, headers, payloadHash, region: o.region, accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey });
    const qs = canonicalQuery(query);
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) return reject(options.signal.reason);
      const req = transport.request(
        { protocol: base.protocol, hostname: base.hostname, port: base.port || undefined, method, path: qs ? `${path}?${qs}` : path, headers, signal: options.signal, ...(o.pathStyle ? {} : { servername: host }) },
        resolve,
      );
      // Socket idle: a stalled server fails the request as a network failure.
      req.setTimeout(o.idleTimeoutMs ?? 120_000, () => req.destroy(new S3RequestError(`${method} ${key}: no answer for ${Math.round((o.idleTimeoutMs ?? 120_000) / 1000)} s`, 0, "Timeout")));
      req.on("error", (err) => reject(options.signal?.aborted ? options.signal.reason : networkError(method, key, err)));
      if (!body) req.end();
      else if ("buffer" in body) req.end(body.buffer);
      else {
        const file = createReadStream(body.file, { start: body.start, end: body.end });
        file.on("error", (err) => req.destroy(err));
        file.pipe(req);
      }
    });
  }

  /** Sends a request and reads the whole (small) answer; a non-2xx status is an S3RequestError. */
  async function call(
    method: string,
    key: string,
    options: { query?: Record<string, string>; headers?: Record<string, string>; body?: S3Body; signal?: AbortSignal; allow?: number[] } = {},
  ): Promise<S3Response & { text: string }> {
    const res = await send(method, key, options);
    const text = await readText(res, method, key, options.signal);
    const status = res.statusCode ?? 0;
    if ((status < 200 || status > 299) && !options.allow?.includes(status)) throw s3Error(method, key, status, text);
    // CompleteMultipartUpload may fail after a 200 has been sent: the error is then the body.
    if (status === 200 && /^\s*(<\?xml[^>]*>\s*)?<Error>/.test(text)) throw s3Error(method, key, 500, text);
    return { status, headers: res.headers, text };
  }

  return {
    /** Stores `body` as one object. Returns the ETag. */
    async putObject(key: string, body: S3Body, headers: Record<string, string>, signal?: AbortSignal): Promise<string> {
      const res = await call("PUT", key, { body, headers, signal });
      return String(res.headers.etag ?? "");
    },

    async createMultipartUpload(key: string, headers: Record<string, string>, signal?: AbortSignal): Promise<string> {
      const res = await call("POST", key, { query: { uploads: "" }, headers, signal });
      const id = xmlValue(res.text, "UploadId");
      if (!id) throw new S3RequestError(`POST ${key}?uploads: the answer has no UploadId`, 500, "MalformedResponse");
      return id;
    },

    async uploadPart(key: string, uploadId: string, partNumber: number, body: S3Body, signal?: AbortSignal): Promise<string> {
      const res = await call("PUT", key, { query: { partNumber: String(partNumber), uploadId }, body, signal });
      const etag = res.headers.etag;
      if (!etag) throw new S3RequestError(`PUT ${key} part ${partNumber}: the answer has no ETag`, 500, "MalformedResponse");
      return String(etag);
    },

    async completeMultipartUpload(key: string, uploadId: string, etags: string[], signal?: AbortSignal): Promise<string> {
      const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${xmlEscape(e)}</ETag></Part>`).join("")}</CompleteMultipartUpload>`;
      const res = await call("POST", key, { query: { uploadId }, body: { buffer: Buffer.from(xml) }, headers: { "content-type": "application/xml" }, signal });
      return xmlValue(res.text, "ETag") ?? "";
    },

    async abortMultipartUpload(key: string, uploadId: string, signal?: AbortSignal): Promise<void> {
      await call("DELETE", key, { query: { uploadId }, allow: [404], signal });
    },

    /** Multipart uploads begun under `prefix` and neither completed nor aborted (every page). */
    async listMultipartUploads(prefix: string, signal?: AbortSignal): Promise<Array<{ key: string; uploadId: string }>> {
      const found: Array<{ key: string; uploadId: string }> = [];
      let markers: Record<string, string> = {};
      for (;;) {
        const res = await call("GET", "", { query: { uploads: "", prefix, ...markers }, signal });
        for (const [, upload] of res.text.matchAll(/<Upload>([\s\S]*?)<\/Upload>/g)) {
          const key = xmlValue(upload!, "Key");
          const uploadId = xmlValue(upload!, "UploadId");
          if (key !== undefined && uploadId) found.push({ key, uploadId });
        }
        if (xmlValue(res.text, "IsTruncated") !== "true") return found;
        const next = { "key-marker": xmlValue(res.text, "NextKeyMarker") ?? "", "upload-id-marker": xmlValue(res.text, "NextUploadIdMarker") ?? "" };
        if (!next["key-marker"] || (next["key-marker"] === markers["key-marker"] && next["upload-id-marker"] === markers["upload-id-marker"])) {
          throw new S3RequestError(`GET ?uploads: a truncated answer without a next marker`, 500, "MalformedResponse");
        }
        markers = next;
      }
    },

    /** Size and metadata of an object, or null when there is none. */
    async headObject(key: string, signal?: AbortSignal): Promise<{ size: number; etag: string; meta: Record<string, string> } | null> {
      const res = await call("HEAD", key, { signal, allow: [404] });
      if (res.status === 404) return null;
      const meta: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) if (name.startsWith("x-amz-meta-") && typeof value === "string") meta[name.slice(11)] = value;
      return { size: Number(res.headers["content-length"] ?? -1), etag: String(res.headers.etag ?? ""), meta };
    },

    /**
     * The object as a stream that errors when the connection ends before `Content-Length`
     * bytes arrived (a dropped download never passes for a short object).
     */
    async getObject(key: string, signal?: AbortSignal): Promise<{ size: number; body: Readable }> {
      const res = await send("GET", key, { signal });
      const status = res.statusCode ?? 0;
      if (status !== 200) throw s3Error("GET", key, status, await readText(res, "GET", key, signal));
      const size = Number(res.headers["content-length"] ?? -1);
      const out = new PassThrough();
      let received = 0;
      const fail = (err: unknown) => out.destroy(signal?.aborted ? (signal.reason as Error) : networkError("GET", key, err));
      res.on("data", (chunk: Buffer) => {
        received += chunk.length;
        if (!out.write(chunk)) res.pause();
      });
      out.on("drain", () => res.resume());
      res.on("error", fail);
      res.on("aborted", () => fail(new Error("the connection was closed mid-body")));
      res.on("end", () => {
        if (size >= 0 && received !== size) fail(new Error(`the connection ended after ${received} of ${size} bytes`));
        else out.end();
      });
      out.on("close", () => {
        if (!res.complete) res.destroy();
      });
      return { size, body: out };
    },

    /** Deletes an object; one that is not there is no failure (S3 answers 204 either way). */
    async deleteObject(key: string, signal?: AbortSignal): Promise<void> {
      await call("DELETE", key, { signal, allow: [404] });
    },
  };
}

// ---- Signature Version 4 ----

interface SignInput {
  method: string;
  /** The request path as sent (already URI-encoded). */
  path: string;
  query: Record<string, string>;
  /** Lowercase names; every header given is signed. */
  headers: Record<string, string>;
  payloadHash: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The `Authorization` header of a request (AWS Signature Version 4, service `s3`). */
function authorization(r: SignInput): string {
  const names = Object.keys(r.headers)
    .map((h) => h.toLowerCase())
    .filter((h) => h !== "authorization" && h !== "content-length")
    .sort();
  const canonicalHeaders = names.map((h) => `${h}:${String(r.headers[h]).trim().replace(/\s+/g, " ")}\n`).join("");
  const signedHeaders = names.join(";");
  const canonical = [r.method, r.path, canonicalQuery(r.query), canonicalHeaders, signedHeaders, r.payloadHash].join("\n");
  const date = r.headers["x-amz-date"]!;
  const scope = `${date.slice(0, 8)}/${r.region}/s3/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", date, scope, sha256Hex(canonical)].join("\n");
  let key: Buffer = hmac(`AWS4${r.secretAccessKey}`, date.slice(0, 8));
  for (const part of [r.region, "s3", "aws4_request"]) key = hmac(key, part);
  const signature = createHmac("sha256", key).update(toSign).digest("hex");
  return `AWS4-HMAC-SHA256 Credential=${r.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

function canonicalQuery(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

/** RFC 3986 encoding as SigV4 wants it: everything but `A-Z a-z 0-9 - . _ ~`. */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function amzDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

// ---- answers ----

function readText(res: http.IncomingMessage, method: string, key: string, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.on("error", (err) => reject(signal?.aborted ? signal.reason : networkError(method, key, err)));
    res.on("aborted", () => reject(networkError(method, key, new Error("the connection was closed mid-answer"))));
  });
}

function s3Error(method: string, key: string, status: number, text: string): S3RequestError {
  const code = xmlValue(text, "Code") ?? (status === 404 ? "NotFound" : status === 403 ? "AccessDenied" : `HTTP${status}`);
  const message = xmlValue(text, "Message");
  return new S3RequestError(`${method} ${key}: ${status} ${code}${message ? ` (${message})` : ""}`, status, code);
}

function networkError(method: string, key: string, err: unknown): S3RequestError {
  if (err instanceof S3RequestError) return err;
  const e = err as NodeJS.ErrnoException;
  return new S3RequestError(`${method} ${key}: ${e.code ? `${e.code} ` : ""}${e.message}`, 0, e.code ?? "NetworkError", { cause: err });
}

function xmlValue(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return m ? xmlUnescape(m[1]!) : undefined;
}

function xmlUnescape(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
