import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { createS3Client, S3RequestError } from "./s3-client.js";
import { DestinationError, type Destination, type DestinationConfig, type PartInfo, type RunLabel, type StoredLocation } from "./port.js";
import { isRunFile, safeSegment } from "./segment.js";

export type S3Config = Extract<DestinationConfig, { kind: "s3" }>;

export interface S3Tuning {
  /** Parts larger than this go up as multipart uploads (default 64 MiB). */
  multipartThreshold?: number;
  /** Size of one multipart chunk (default 16 MiB; S3 wants at least 5 MiB but for the last). */
  chunkSize?: number;
  idleTimeoutMs?: number;
}

const MiB = 1024 * 1024;
/** English wording of the `s3-action-*` keys (locales/<lang>/s3.ftl), for the log message. */
const ACTIONS = {
  "s3-action-check": "write, read and delete a probe object in",
  "s3-action-store": "store",
  "s3-action-read": "read",
  "s3-action-delete": "delete",
  "s3-action-list-uploads": "list or abort the unfinished uploads under",
} as const;
/** S3 allows at most 10,000 parts per multipart upload. */
const MAX_CHUNKS = 10_000;
/** S3 error codes after which another attempt can help, whatever the status. */
const TRANSIENT_CODES = new Set(["SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "XAmzContentSHA256Mismatch", "BadDigest", "IncompleteBody", "Timeout"]);

/**
 * An S3-compatible bucket (AWS S3, Cloudflare R2, Backblaze B2, MinIO, Garage, Ceph RGW).
 * A part lands at `<prefix><job>/<part name>`; storing it again replaces it (one copy, same
 * location), like the local folder. Parts above `multipartThreshold` go up as a multipart
 * upload whose chunks are read from the part file; a failed or aborted upload is aborted on
 * the server, so no half-stored part is left to pay for; one a killed process left is aborted by
 * the next start's recovery (`discardUnfinished`). After a put, the object's size is
 * checked (HEAD); the run's sha256 is signed with every request body and kept as the object's
 * `x-amz-meta-sha256`. Nothing is ever refused deletion (no 48-hour rule) and there is no
 * size limit of its own. Every request is sent once: the runner retries a failed put.
 */
export function createS3Destination(config: S3Config, tuning: S3Tuning = {}): Destination {
  const client = createS3Client({ ...config, idleTimeoutMs: tuning.idleTimeoutMs });
  const threshold = tuning.multipartThreshold ?? 64 * MiB;
  const baseChunk = tuning.chunkSize ?? 16 * MiB;
  const prefix = normalizePrefix(config.prefix);
  const keyOf = (run: RunLabel, name: string) => `${prefix}${safeSegment(run.jobName)}/${name}`;
  const where = `${config.bucket} at ${config.endpoint}`;

  /** `action` is an `s3-action-*` key (what was being done); its English wording is for logs. */
  const failure = (err: unknown, action: keyof typeof ACTIONS, object: string): never => {
    if (err instanceof DestinationError) throw err;
    const e = err as S3RequestError;
    const status = err instanceof S3RequestError ? e.status : 0;
    const code = err instanceof S3RequestError ? e.code : ((err as NodeJS.ErrnoException)?.code ?? "Error");
    const transient = status === 0 || status === 429 || status >= 500 || TRANSIENT_CODES.has(code);
    const kind = transient ? (status === 0 ? "network" : "server") : status === 404 && code === "NoSuchBucket" ? "no-bucket" : status === 403 || code === "InvalidAccessKeyId" || code === "SignatureDoesNotMatch" ? "denied" : "other";
    const detail = (err as Error)?.message ?? String(err);
    const params = { name: config.name, bucket: config.bucket, action: { key: action }, object, detail };
    throw new DestinationError(`S3 destination "${config.name}" (${where}): cannot ${ACTIONS[action]} ${object}: ${detail}`, {
      permanent: !transient,
      cause: err,
      key: `s3-error-${kind}`,
      params,
    });
  };

  const headers = (part?: PartInfo): Record<string, string> => ({
    "content-type": "application/octet-stream",
    ...(part ? { "x-amz-meta-sha256": part.sha256 } : {}),
    ...(config.storageClass ? { "x-amz-storage-class": config.storageClass } : {}),
    ...(config.serverSideEncryption ? { "x-amz-server-side-encryption": config.serverSideEncryption } : {}),
  });

  async function multipart(key: string, part: PartInfo, file: string, signal: AbortSignal): Promise<void> {
    const chunk = Math.max(baseChunk, Math.ceil(part.size / MAX_CHUNKS));
    const uploadId = await client.createMultipartUpload(key, headers(part), signal);
    try {
      const etags: string[] = [];
      for (let start = 0; start < part.size; start += chunk) {
        const end = Math.min(part.size, start + chunk) - 1;
        // Hashed first, then sent: the signature covers the chunk and memory stays flat.
        const sha256 = await hashRange(file, start, end, signal);
        etags.push(await client.uploadPart(key, uploadId, etags.length + 1, { file, start, end, sha256 }, signal));
      }
      await client.completeMultipartUpload(key, uploadId, etags, signal);
    } catch (err) {
      // Not tied to the signal: an aborted put must still leave nothing behind.
      await client.abortMultipartUpload(key, uploadId).catch(() => {});
      throw err;
    }
  }

  return {
    kind: "s3",
    name: config.name,

    async check(signal) {
      const key = `${prefix}.tele-backup-probe-${process.pid}-${Date.now()}`;
      const probe = Buffer.from(`tele-backup probe ${new Date().toISOString()}\n`);
      try {
        await client.putObject(key, { buffer: probe }, headers(), signal);
        const got = await client.getObject(key, signal);
        const chunks: Buffer[] = [];
        for await (const c of got.body) chunks.push(c as Buffer);
        if (!Buffer.concat(chunks).equals(probe)) throw new S3RequestError("the probe object read back different", 500, "ProbeMismatch");
        await client.deleteObject(key, signal);
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        failure(err, "s3-action-check", config.bucket);
      }
    },

    async putPart(run: RunLabel, part: PartInfo, file: string, signal: AbortSignal): Promise<StoredLocation> {
      signal.throwIfAborted();
      const key = keyOf(run, part.name);
      let size: number;
      try {
        size = (await stat(file)).size;
      } catch (err) {
        throw new DestinationError(`S3 destination "${config.name}": cannot read the part file ${file}: ${(err as Error).message}`, {
          permanent: true,
          cause: err,
          key: "s3-error-part-file",
          params: { name: config.name, file: part.name },
        });
      }
      try {
        if (size > threshold) await multipart(key, { ...part, size }, file, signal);
        else await client.putObject(key, size === 0 ? { buffer: Buffer.alloc(0) } : { file, start: 0, end: size - 1, sha256: part.sha256 }, headers(part), signal);
        const stored = await client.headObject(key, signal);
        if (!stored || stored.size !== size) {
          throw new S3RequestError(`the stored object has ${stored ? `${stored.size} bytes` : "vanished"}, not ${size}`, 500, "SizeMismatch");
        }
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        failure(err, "s3-action-store", part.name);
      }
      return { locator: key };
    },

    async fetch(location: StoredLocation, signal?: AbortSignal): Promise<Readable> {
      signal?.throwIfAborted();
      try {
        return (await client.getObject(location.locator, signal)).body;
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        return failure(err, "s3-action-read", location.locator);
      }
    },

    async discardUnfinished(run: RunLabel, fileName: string, signal?: AbortSignal): Promise<string[]> {
      signal?.throwIfAborted();
      const prefix = keyOf(run, `${fileName}.`);
      const folder = keyOf(run, "");
      const aborted: string[] = [];
      try {
        for (const upload of await client.listMultipartUploads(prefix, signal)) {
          if (!isRunFile(fileName, upload.key.slice(folder.length))) continue;
          await client.abortMultipartUpload(upload.key, upload.uploadId, signal);
          aborted.push(upload.key);
        }
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        failure(err, "s3-action-list-uploads", prefix);
      }
      return aborted;
    },

    async delete(locations: StoredLocation[], signal?: AbortSignal) {
      for (const l of locations) {
        signal?.throwIfAborted();
        try {
          await client.deleteObject(l.locator, signal);
        } catch (err) {
          if (signal?.aborted) throw signal.reason;
          failure(err, "s3-action-delete", l.locator);
        }
      }
      return { refused: [] };
    },
  };
}

async function hashRange(file: string, start: number, end: number, signal: AbortSignal): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { start, end, signal })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** `backups`, `/backups/` → `backups/`; empty stays empty. */
function normalizePrefix(prefix: string | undefined): string {
  const p = (prefix ?? "").replace(/^\/+/, "").replace(/\/+$/, "");
  return p ? `${p}/` : "";
}
