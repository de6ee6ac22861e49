import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DestinationError, type PartInfo } from "../../src/destinations/port.js";
import { createS3Destination, type S3Config } from "../../src/destinations/s3.js";
import { s3Schema } from "../../src/destinations/s3.schema.js";
import { check } from "../../src/shared/schema.js";
import { startFakeS3, type FakeS3 } from "../fake-s3/server.js";
import { destinationContract } from "./contract.js";

const MiB = 1024 * 1024;
/** Small enough that the contract's 51 MiB part and the tests below go up in several chunks. */
const TUNING = { multipartThreshold: 8 * MiB, chunkSize: 5 * MiB };

const configFor = (fake: FakeS3, overrides: Partial<S3Config> = {}): S3Config => ({
  kind: "s3",
  name: "bucket",
  endpoint: fake.endpoint,
  region: fake.region,
  bucket: "backups",
  prefix: "tele-backup/",
  pathStyle: true,
  accessKeyId: fake.accessKeyId,
  secretAccessKey: fake.secretAccessKey,
  ...overrides,
});

/** Objects (and unfinished multipart uploads) whose key ends in `/name`. */
const copiesIn = (fake: FakeS3, name: string): number =>
  [...fake.objects("backups").keys()].filter((k) => k.endsWith(`/${name}`)).length + fake.pendingUploads("backups").filter((u) => u.key.endsWith(`/${name}`)).length;

/** S3 through the fake S3 server (real HTTP, SigV4 checked, multipart with the 5 MiB minimum). */
destinationContract("S3 bucket", async () => {
  const fake = await startFakeS3();
  return {
    destination: createS3Destination(configFor(fake), TUNING),
    refusing: createS3Destination(configFor(fake, { name: "gone", bucket: "no-such-bucket" }), TUNING),
    copies: async (name) => copiesIn(fake, name),
    repeatPut: "replaces",
    neverStored: () => ({ locator: "tele-backup/contract/never-stored.sql.001" }),
    transientFault(op) {
      if (op === "put") fake.failNext("put", { kind: "drop", afterBytes: 8192 });
      else fake.failNext("delete", { kind: "slowdown" });
    },
    async holdNextPut(file) {
      fake.failNext("put", { kind: "stall" });
      const underway = (async () => {
        while (!fake.requests.some((r) => r.op === "put" && r.status === "stalled")) await new Promise((r) => setTimeout(r, 10));
      })();
      return { file, underway, release: async () => {} };
    },
    close: () => fake.close(),
  };
});

describe("S3 destination against the fake S3 server", () => {
  let fake: FakeS3;
  let dir: string;
  beforeEach(async () => {
    fake = await startFakeS3();
    dir = mkdtempSync(path.join(tmpdir(), "tb-s3-"));
  });
  afterEach(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const RUN = { runId: 1, jobName: "app-nightly" };
  const part = (size: number, name = "app_20260101-000000.sql.gz.001"): { info: PartInfo; file: string; bytes: Buffer } => {
    const bytes = randomBytes(size);
    const file = path.join(dir, name);
    writeFileSync(file, bytes);
    return { info: { index: 1, total: 1, name, size, sha256: createHash("sha256").update(bytes).digest("hex") }, file, bytes };
  };
  const read = async (stream: Readable): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  const failureOf = async (p: Promise<unknown>): Promise<DestinationError> => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DestinationError);
    return err as DestinationError;
  };

  it("a large part goes up as a multipart upload in 5 MiB chunks, with its sha256, storage class and encryption header", async () => {
    const dest = createS3Destination(configFor(fake, { storageClass: "STANDARD_IA", serverSideEncryption: "AES256" }), TUNING);
    const p = part(12 * MiB + 123);
    const location = await dest.putPart(RUN, p.info, p.file, new AbortController().signal);
    expect(location).toEqual({ locator: `tele-backup/app-nightly/${p.info.name}` });
    const ops = fake.requests.map((r) => r.op);
    expect(ops.filter((o) => o === "upload-part")).toHaveLength(3);
    expect(ops).toEqual(["create-multipart", "upload-part", "upload-part", "upload-part", "complete-multipart", "head"]);
    const stored = fake.objects("backups").get(location.locator)!;
    expect(stored.body.equals(p.bytes)).toBe(true);
    expect(stored.etag).toMatch(/-3"$/);
    expect(stored.meta.sha256).toBe(p.info.sha256);
    expect(stored.storageClass).toBe("STANDARD_IA");
    expect(stored.sse).toBe("AES256");
    expect((await read(await dest.fetch(location))).equals(p.bytes)).toBe(true);
  });

  it("a 503 SlowDown in the middle of a multipart upload fails the put as retryable and aborts the upload; the next put stores it whole", async () => {
    const dest = createS3Destination(configFor(fake), TUNING);
    const p = part(11 * MiB);
    fake.failNext("upload-part", { kind: "slowdown" });
    const err = await failureOf(dest.putPart(RUN, p.info, p.file, new AbortController().signal));
    expect(err.permanent).toBe(false);
    expect(err.key).toBe("s3-error-server");
    expect(err.message).toContain("SlowDown");
    expect(fake.pendingUploads("backups")).toEqual([]);
    expect(fake.requests.some((r) => r.op === "abort-multipart" && r.status === 204)).toBe(true);
    expect(copiesIn(fake, p.info.name)).toBe(0);
    const location = await dest.putPart(RUN, p.info, p.file, new AbortController().signal);
    expect(fake.objects("backups").get(location.locator)!.body.equals(p.bytes)).toBe(true);
  });

  it("a connection dropped mid-chunk fails the put as retryable and leaves no upload behind", async () => {
    const dest = createS3Destination(configFor(fake), TUNING);
    const p = part(11 * MiB);
    fake.failNext("upload-part", { kind: "drop", afterBytes: 1 * MiB });
    const err = await failureOf(dest.putPart(RUN, p.info, p.file, new AbortController().signal));
    expect(err.permanent).toBe(false);
    expect(err.key).toBe("s3-error-network");
    expect(fake.pendingUploads("backups")).toEqual([]);
    expect(copiesIn(fake, p.info.name)).toBe(0);
  });

  it("discardUnfinished aborts exactly the run's unfinished uploads; an endpoint that cannot be reached fails it as a network error naming what it was doing", async () => {
    const dest = createS3Destination(configFor(fake), TUNING);
    const fileName = "app_20260101-000000.sql.gz";
    const held = part(11 * MiB, `${fileName}.001`);
    fake.failNext("upload-part", { kind: "stall" });
    const putting = dest.putPart(RUN, held.info, held.file, AbortSignal.timeout(60_000));
    putting.catch(() => {});
    while (!fake.requests.some((r) => r.op === "upload-part" && r.status === "stalled")) await new Promise((r) => setTimeout(r, 10));
    expect(fake.pendingUploads("backups")).toEqual([{ key: `tele-backup/app-nightly/${fileName}.001`, parts: 0 }]);
    const done = part(100, `${fileName}.002`);
    await dest.putPart(RUN, done.info, done.file, new AbortController().signal);

    expect(await dest.discardUnfinished!(RUN, fileName)).toEqual([`tele-backup/app-nightly/${fileName}.001`]);
    expect(fake.pendingUploads("backups")).toEqual([]);
    expect(fake.objects("backups").has(`tele-backup/app-nightly/${fileName}.002`)).toBe(true);
    expect(await dest.discardUnfinished!(RUN, fileName)).toEqual([]);

    const closed = await startFakeS3();
    await closed.close();
    const err = await failureOf(createS3Destination(configFor(closed), TUNING).discardUnfinished!(RUN, fileName));
    expect(err.key).toBe("s3-error-network");
    expect(err.message).toContain(`cannot list or abort the unfinished uploads under tele-backup/app-nightly/${fileName}.`);
  });

  it("a download dropped mid-body ends the stream with an error, never a short part", async () => {
    const dest = createS3Destination(configFor(fake), TUNING);
    const p = part(2 * MiB);
    const location = await dest.putPart(RUN, p.info, p.file, new AbortController().signal);
    fake.failNext("get", { kind: "drop" });
    await expect(read(await dest.fetch(location))).rejects.toThrow(/ended after|closed|aborted|ECONNRESET/);
    expect((await read(await dest.fetch(location))).equals(p.bytes)).toBe(true);
  });

  it("a wrong secret key is refused by the server's signature check, for good, and the secret appears in no error", async () => {
    const dest = createS3Destination(configFor(fake, { secretAccessKey: "wrong-secret-key-0123456789" }), TUNING);
    const err = await failureOf(dest.check());
    expect(err.permanent).toBe(true);
    expect(err.key).toBe("s3-error-denied");
    expect(err.message).toContain("SignatureDoesNotMatch");
    expect(JSON.stringify({ m: err.message, p: err.params })).not.toContain("wrong-secret-key");
    expect(JSON.stringify({ m: err.message, p: err.params })).not.toContain(fake.secretAccessKey);
  });

  it("keys with spaces and unicode, a virtual-hosted bucket and the connection test all sign correctly", async () => {
    const dest = createS3Destination(configFor(fake, { pathStyle: false, prefix: "/nightly dumps/ü/" }), TUNING);
    await dest.check();
    expect(fake.requests.map((r) => `${r.op}:${r.status}`)).toEqual(["put:200", "get:200", "delete:204"]);
    expect(fake.objects("backups").size).toBe(0);
    const p = part(1000, "weird name+(1).sql.001");
    const location = await dest.putPart({ runId: 2, jobName: "job x" }, p.info, p.file, new AbortController().signal);
    expect(location.locator).toBe("nightly dumps/ü/job x/weird name+(1).sql.001");
    expect(fake.objects("backups").get(location.locator)!.body.equals(p.bytes)).toBe(true);
    expect(await dest.delete([location])).toEqual({ refused: [] });
    expect(fake.objects("backups").size).toBe(0);
  });

  it("a part whose bytes differ from the run's sha256 is refused by the server (the signed payload hash)", async () => {
    const dest = createS3Destination(configFor(fake), TUNING);
    const p = part(4096);
    const err = await failureOf(dest.putPart(RUN, { ...p.info, sha256: "0".repeat(64) }, p.file, new AbortController().signal));
    expect(err.message).toContain("XAmzContentSHA256Mismatch");
    expect(copiesIn(fake, p.info.name)).toBe(0);
  });
});

describe("S3 destination settings (valibot schema)", () => {
  const good = { endpoint: "https://s3.eu-central-1.amazonaws.com/", bucket: "my-backups", access_key_id: "AKIAEXAMPLE", secret_access_key: "env:S3_SECRET" };
  it("accepts a minimal bucket and turns it into the config with defaults; refuses bad values with the reason in words", () => {
    const ok = check(v.object(s3Schema.settings), good);
    expect(ok.ok).toBe(true);
    if (!ok.ok) return;
    const config = s3Schema.toConfig("offsite", s3Schema.toStored(ok.value as Record<string, unknown>), "resolved-secret");
    expect(config).toEqual({ kind: "s3", name: "offsite", endpoint: "https://s3.eu-central-1.amazonaws.com", region: "us-east-1", bucket: "my-backups", pathStyle: false, accessKeyId: "AKIAEXAMPLE", secretAccessKey: "resolved-secret" });
    const bad = check(v.object(s3Schema.settings), { ...good, endpoint: "ftp://x", bucket: "My_Bucket", server_side_encryption: "DES", secret_access_key: "env:" });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    const byPath = Object.fromEntries(bad.issues.map((i) => [i.path, i.message]));
    expect(byPath.endpoint).toMatch(/must be the S3 endpoint as an http\(s\) URL/);
    expect(byPath.bucket).toMatch(/must be an S3 bucket name/);
    expect(byPath.server_side_encryption).toMatch(/AES256, aws:kms/);
    expect(byPath.secret_access_key).toBeDefined();
  });
});
