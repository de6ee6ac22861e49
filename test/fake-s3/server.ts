import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import aws4 from "aws4";

/**
 * An S3 server for tests, speaking the wire protocol over real HTTP: path-style and
 * virtual-hosted buckets, AWS Signature Version 4 checked on every request (recomputed with the
 * independent `aws4` package, so a signing bug in our client fails), the payload's
 * `x-amz-content-sha256` checked against the body received, PutObject, GetObject (with Range),
 * HeadObject, DeleteObject, ListObjectsV2, and multipart uploads (create, upload part, complete
 * with S3's 5 MiB minimum for every part but the last, abort, and ListMultipartUploads with its
 * key and upload-id markers).
 *
 * Faults, injected per operation with `failNext`: `slowdown` (503 SlowDown), `drop` (the
 * connection is destroyed after `afterBytes` of the request body, or mid-way through a GET's
 * body), `stall` (the request is read and never answered until the client gives up).
 */

export type S3Op = "put" | "get" | "head" | "delete" | "list" | "create-multipart" | "upload-part" | "complete-multipart" | "abort-multipart" | "list-multipart";
export type S3Fault = { kind: "slowdown" } | { kind: "drop"; afterBytes?: number } | { kind: "stall" };

export interface StoredObject {
  body: Buffer;
  etag: string;
  meta: Record<string, string>;
  storageClass?: string;
  sse?: string;
  lastModified: Date;
}

interface Upload {
  id: string;
  bucket: string;
  key: string;
  parts: Map<number, { body: Buffer; etag: string }>;
  meta: Record<string, string>;
  storageClass?: string;
  sse?: string;
}

export interface S3RequestRecord {
  op: S3Op | "unknown";
  method: string;
  bucket: string;
  key: string;
  status: number | "dropped" | "stalled" | "pending";
  /** Size of the request body received. */
  bytes: number;
}

export interface FakeS3Options {
  accessKeyId?: string;
  secretAccessKey?: string;
  region?: string;
  buckets?: string[];
  /** S3's minimum multipart chunk (all but the last); 5 MiB like AWS. */
  minPartSize?: number;
  /** Most uploads one ListMultipartUploads page holds (1000 like AWS; tests make it small to page). */
  maxUploadsPerPage?: number;
}

export interface FakeS3 {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  objects(bucket: string): Map<string, StoredObject>;
  /** Multipart uploads begun and neither completed nor aborted. */
  pendingUploads(bucket: string): Array<{ key: string; parts: number }>;
  failNext(op: S3Op, fault: S3Fault): void;
  requests: S3RequestRecord[];
  close(): Promise<void>;
}

const MiB = 1024 * 1024;

export async function startFakeS3(options: FakeS3Options = {}): Promise<FakeS3> {
  const accessKeyId = options.accessKeyId ?? "AKIAFAKES3TEST000001";
  const secretAccessKey = options.secretAccessKey ?? "fake/s3+secret+key/Z8cz0vR0yKq1Gx7bWm5L";
  const region = options.region ?? "eu-test-1";
  const minPartSize = options.minPartSize ?? 5 * MiB;
  const maxUploadsPerPage = options.maxUploadsPerPage ?? 1000;
  const buckets = new Map<string, Map<string, StoredObject>>((options.buckets ?? ["backups"]).map((b) => [b, new Map()]));
  const uploads = new Map<string, Upload>();
  const faults: Array<{ op: S3Op; fault: S3Fault }> = [];
  const requests: S3RequestRecord[] = [];
  const stalled = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) xmlError(res, 500, "InternalError", String(err));
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const hostHeader = String(req.headers.host ?? "");
    const hostBucket = [...buckets.keys()].find((b) => hostHeader.startsWith(`${b}.`));
    const segments = url.pathname.split("/").slice(1);
    const bucket = hostBucket ?? decodeURIComponent(segments.shift() ?? "");
    const key = segments.map((s) => decodeURIComponent(s)).join("/");
    const q = url.searchParams;
    const op = opOf(req.method ?? "", key, q);
    const record: S3RequestRecord = { op, method: req.method ?? "", bucket, key, status: "pending", bytes: 0 };
    requests.push(record);

    const at = faults.findIndex((f) => f.op === op);
    const fault = at >= 0 ? faults.splice(at, 1)[0]!.fault : undefined;

    // The body, or the part of it a dropped connection lets through.
    if (fault?.kind === "drop" && op !== "get") {
      const limit = fault.afterBytes ?? 0;
      let got = 0;
      await new Promise<void>((resolve) => {
        req.on("data", (c: Buffer) => {
          got += c.length;
          record.bytes = got;
          if (got >= limit) {
            record.status = "dropped";
            req.socket.destroy();
            resolve();
          }
        });
        req.on("end", () => {
          record.status = "dropped";
          req.socket.destroy();
          resolve();
        });
        req.on("close", () => resolve());
      });
      return;
    }
    const body = await readBody(req);
    record.bytes = body.length;
    if (fault?.kind === "stall") {
      record.status = "stalled";
      stalled.add(res);
      res.on("close", () => stalled.delete(res));
      return;
    }

    const authProblem = verifySignature(req, url, body);
    if (authProblem) return finish(record, xmlError(res, 403, authProblem.code, authProblem.message));
    if (fault?.kind === "slowdown") return finish(record, xmlError(res, 503, "SlowDown", "Please reduce your request rate."));

    const objects = buckets.get(bucket);
    if (!objects) return finish(record, xmlError(res, 404, "NoSuchBucket", "The specified bucket does not exist"));

    switch (op) {
      case "put": {
        const obj: StoredObject = { body, etag: `"${md5(body)}"`, meta: metaOf(req), lastModified: new Date(), ...extras(req) };
        objects.set(key, obj);
        res.setHeader("ETag", obj.etag);
        return finish(record, empty(res, 200));
      }
      case "create-multipart": {
        const id = randomUUID().replace(/-/g, "");
        uploads.set(id, { id, bucket, key, parts: new Map(), meta: metaOf(req), ...extras(req) });
        return finish(record, xml(res, 200, `<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${esc(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`));
      }
      case "upload-part": {
        const upload = uploads.get(q.get("uploadId") ?? "");
        if (!upload || upload.key !== key || upload.bucket !== bucket) return finish(record, xmlError(res, 404, "NoSuchUpload", "The specified upload does not exist."));
        const n = Number(q.get("partNumber"));
        if (!Number.isInteger(n) || n < 1 || n > 10_000) return finish(record, xmlError(res, 400, "InvalidArgument", "Part number must be an integer between 1 and 10000"));
        const etag = `"${md5(body)}"`;
        upload.parts.set(n, { body, etag });
        res.setHeader("ETag", etag);
        return finish(record, empty(res, 200));
      }
      case "complete-multipart": {
        const id = q.get("uploadId") ?? "";
        const upload = uploads.get(id);
        if (!upload || upload.key !== key) return finish(record, xmlError(res, 404, "NoSuchUpload", "The specified upload does not exist."));
        const listed = [...body.toString("utf8").matchAll(/<Part>\s*<PartNumber>(\d+)<\/PartNumber>\s*<ETag>([^<]*)<\/ETag>\s*<\/Part>/g)].map((m) => ({
          n: Number(m[1]),
          etag: m[2]!.replace(/&quot;/g, '"'),
        }));
        if (listed.length === 0) return finish(record, xmlError(res, 400, "MalformedXML", "The XML you provided was not well-formed"));
        const chunks: Buffer[] = [];
        for (const [i, p] of listed.entries()) {
          const stored = upload.parts.get(p.n);
          if (!stored || stored.etag !== p.etag) return finish(record, xmlError(res, 400, "InvalidPart", `Part ${p.n} was not uploaded or its ETag does not match`));
          if (i > 0 && p.n <= listed[i - 1]!.n) return finish(record, xmlError(res, 400, "InvalidPartOrder", "The list of parts was not in ascending order"));
          if (i < listed.length - 1 && stored.body.length < minPartSize) return finish(record, xmlError(res, 400, "EntityTooSmall", `Part ${p.n} is smaller than the minimum allowed size`));
          chunks.push(stored.body);
        }
        const whole = Buffer.concat(chunks);
        const etag = `"${createHash("md5").update(Buffer.concat(listed.map((p) => Buffer.from(upload.parts.get(p.n)!.etag.slice(1, -1), "hex")))).digest("hex")}-${listed.length}"`;
        objects.set(key, { body: whole, etag, meta: upload.meta, lastModified: new Date(), storageClass: upload.storageClass, sse: upload.sse });
        uploads.delete(id);
        return finish(record, xml(res, 200, `<CompleteMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${esc(key)}</Key><ETag>${esc(etag)}</ETag></CompleteMultipartUploadResult>`));
      }
      case "abort-multipart": {
        const id = q.get("uploadId") ?? "";
        if (!uploads.delete(id)) return finish(record, xmlError(res, 404, "NoSuchUpload", "The specified upload does not exist."));
        return finish(record, empty(res, 204));
      }
      case "head":
      case "get": {
        const obj = objects.get(key);
        if (!obj) return finish(record, op === "head" ? empty(res, 404) : xmlError(res, 404, "NoSuchKey", "The specified key does not exist."));
        res.setHeader("ETag", obj.etag);
        res.setHeader("Last-Modified", obj.lastModified.toUTCString());
        res.setHeader("Accept-Ranges", "bytes");
        for (const [name, value] of Object.entries(obj.meta)) res.setHeader(`x-amz-meta-${name}`, value);
        if (obj.storageClass) res.setHeader("x-amz-storage-class", obj.storageClass);
        if (obj.sse) res.setHeader("x-amz-server-side-encryption", obj.sse);
        let start = 0;
        let end = obj.body.length - 1;
        let status = 200;
        const range = op === "get" ? /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? "")) : null;
        if (range) {
          if (range[1] === "") start = Math.max(0, obj.body.length - Number(range[2]));
          else {
            start = Number(range[1]);
            if (range[2] !== "") end = Math.min(end, Number(range[2]));
          }
          if (start > end) return finish(record, xmlError(res, 416, "InvalidRange", "The requested range is not satisfiable"));
          status = 206;
          res.setHeader("Content-Range", `bytes ${start}-${end}/${obj.body.length}`);
        }
        const slice = obj.body.subarray(start, end + 1);
        res.writeHead(status, { "Content-Length": String(slice.length), "Content-Type": "application/octet-stream" });
        if (op === "head") return finish(record, res.end());
        if (fault?.kind === "drop") {
          res.write(slice.subarray(0, Math.floor(slice.length / 2)), () => res.destroy());
          record.status = "dropped";
          return;
        }
        return finish(record, res.end(slice));
      }
      case "list-multipart": {
        // Ordered by key, then by upload id (AWS orders a key's uploads by initiation; any fixed order pages the same).
        const prefix = q.get("prefix") ?? "";
        const max = Math.min(maxUploadsPerPage, Number(q.get("max-uploads") ?? 1000));
        const keyMarker = q.get("key-marker") ?? "";
        const idMarker = q.get("upload-id-marker") ?? "";
        const after = (u: Upload) => !keyMarker || u.key > keyMarker || (u.key === keyMarker && idMarker !== "" && u.id > idMarker);
        const all = [...uploads.values()]
          .filter((u) => u.bucket === bucket && u.key.startsWith(prefix) && after(u))
          .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        const page = all.slice(0, max);
        const truncated = all.length > page.length;
        const last = page[page.length - 1];
        const next = truncated && last ? `<NextKeyMarker>${esc(last.key)}</NextKeyMarker><NextUploadIdMarker>${last.id}</NextUploadIdMarker>` : "";
        const listed = page.map((u) => `<Upload><Key>${esc(u.key)}</Key><UploadId>${u.id}</UploadId><StorageClass>${u.storageClass ?? "STANDARD"}</StorageClass></Upload>`).join("");
        return finish(
          record,
          xml(res, 200, `<ListMultipartUploadsResult><Bucket>${bucket}</Bucket><KeyMarker>${esc(keyMarker)}</KeyMarker><UploadIdMarker>${idMarker}</UploadIdMarker>${next}<Prefix>${esc(prefix)}</Prefix><MaxUploads>${max}</MaxUploads><IsTruncated>${truncated}</IsTruncated>${listed}</ListMultipartUploadsResult>`),
        );
      }
      case "delete":
        objects.delete(key);
        return finish(record, empty(res, 204));
      case "list": {
        const prefix = q.get("prefix") ?? "";
        const max = Math.min(1000, Number(q.get("max-keys") ?? 1000));
        const after = q.get("continuation-token") ?? q.get("start-after") ?? "";
        const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
        const page = keys.slice(0, max);
        const truncated = keys.length > page.length;
        const contents = page
          .map((k) => {
            const o = objects.get(k)!;
            return `<Contents><Key>${esc(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${esc(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>${o.storageClass ?? "STANDARD"}</StorageClass></Contents>`;
          })
          .join("");
        const next = truncated ? `<NextContinuationToken>${esc(page[page.length - 1]!)}</NextContinuationToken>` : "";
        return finish(
          record,
          xml(res, 200, `<ListBucketResult><Name>${bucket}</Name><Prefix>${esc(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`),
        );
      }
      default:
        return finish(record, xmlError(res, 405, "MethodNotAllowed", "The specified method is not allowed against this resource."));
    }
  }

  /** Null when the request is signed right; else S3's error code and message. */
  function verifySignature(req: http.IncomingMessage, url: URL, body: Buffer): { code: string; message: string } | null {
    const auth = String(req.headers.authorization ?? "");
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return { code: "AccessDenied", message: "Missing or malformed Authorization header" };
    const [, key, day, scopeRegion, signedHeaders, signature] = m;
    if (key !== accessKeyId) return { code: "InvalidAccessKeyId", message: "The AWS Access Key Id you provided does not exist in our records." };
    if (scopeRegion !== region) return { code: "AuthorizationHeaderMalformed", message: `the region '${scopeRegion}' is wrong; expecting '${region}'` };
    const amzDate = String(req.headers["x-amz-date"] ?? "");
    const when = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"));
    if (!Number.isFinite(when) || amzDate.slice(0, 8) !== day) return { code: "AccessDenied", message: "X-Amz-Date is missing or does not match the credential scope" };
    if (Math.abs(Date.now() - when) > 15 * 60_000) return { code: "RequestTimeTooSkewed", message: "The difference between the request time and the current time is too large." };
    const names = signedHeaders!.split(";");
    if (!names.includes("host") || !names.includes("x-amz-date") || !names.includes("x-amz-content-sha256")) {
      return { code: "AccessDenied", message: "host, x-amz-date and x-amz-content-sha256 must be signed" };
    }
    const headers: Record<string, string> = {};
    for (const name of names) {
      const value = req.headers[name];
      if (value === undefined) return { code: "AccessDenied", message: `signed header ${name} is missing` };
      headers[name] = Array.isArray(value) ? value.join(",") : value;
    }
    const expected = aws4.sign(
      { host: headers.host, method: req.method, path: `${url.pathname}${url.search}`, headers, service: "s3", region } as aws4.Request,
      { accessKeyId, secretAccessKey },
    );
    const got = /Signature=([0-9a-f]{64})/.exec(String((expected.headers as Record<string, string>).Authorization ?? ""))?.[1];
    const expectedSigned = /SignedHeaders=([^,]+)/.exec(String((expected.headers as Record<string, string>).Authorization ?? ""))?.[1];
    if (got !== signature || expectedSigned !== signedHeaders) {
      return { code: "SignatureDoesNotMatch", message: "The request signature we calculated does not match the signature you provided." };
    }
    const claimed = String(req.headers["x-amz-content-sha256"]);
    if (claimed !== "UNSIGNED-PAYLOAD" && claimed !== createHash("sha256").update(body).digest("hex")) {
      return { code: "XAmzContentSHA256Mismatch", message: "The provided 'x-amz-content-sha256' header does not match what was computed." };
    }
    return null;
  }

  function finish(record: S3RequestRecord, res: http.ServerResponse): void {
    record.status = res.statusCode;
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    accessKeyId,
    secretAccessKey,
    region,
    objects: (bucket) => buckets.get(bucket) ?? new Map(),
    pendingUploads: (bucket) => [...uploads.values()].filter((u) => u.bucket === bucket).map((u) => ({ key: u.key, parts: u.parts.size })),
    failNext: (op, fault) => faults.push({ op, fault }),
    requests,
    close: async () => {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function opOf(method: string, key: string, q: URLSearchParams): S3Op | "unknown" {
  if (method === "GET" && !key) return q.get("list-type") === "2" ? "list" : q.has("uploads") ? "list-multipart" : "unknown";
  if (method === "PUT") return q.has("uploadId") ? "upload-part" : "put";
  if (method === "POST") return q.has("uploads") ? "create-multipart" : q.has("uploadId") ? "complete-multipart" : "unknown";
  if (method === "DELETE") return q.has("uploadId") ? "abort-multipart" : "delete";
  if (method === "GET") return "get";
  if (method === "HEAD") return "head";
  return "unknown";
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function metaOf(req: http.IncomingMessage): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (name.startsWith("x-amz-meta-") && typeof value === "string") meta[name.slice(11)] = value;
  return meta;
}

function extras(req: http.IncomingMessage): { storageClass?: string; sse?: string } {
  const sc = req.headers["x-amz-storage-class"];
  const sse = req.headers["x-amz-server-side-encryption"];
  return { ...(typeof sc === "string" ? { storageClass: sc } : {}), ...(typeof sse === "string" ? { sse } : {}) };
}

function md5(b: Buffer): string {
  return createHash("md5").update(b).digest("hex");
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function xml(res: http.ServerResponse, status: number, body: string): http.ServerResponse {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  res.writeHead(status, { "Content-Type": "application/xml", "Content-Length": String(Buffer.byteLength(text)) });
  res.end(text);
  return res;
}

function xmlError(res: http.ServerResponse, status: number, code: string, message: string): http.ServerResponse {
  return xml(res, status, `<Error><Code>${code}</Code><Message>${esc(message)}</Message><RequestId>${randomUUID()}</RequestId></Error>`);
}

function empty(res: http.ServerResponse, status: number): http.ServerResponse {
  res.writeHead(status, { "Content-Length": "0" });
  res.end();
  return res;
}
