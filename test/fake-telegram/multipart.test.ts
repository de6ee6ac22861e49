import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { boundaryOf, MultipartError, parseMultipart } from "./multipart.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "multipart-test-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Feeds `body` in chunks of the given sizes (cycled), to hit every split position. */
async function* chunked(body: Buffer, sizes: number[]): AsyncGenerator<Uint8Array> {
  for (let at = 0, i = 0; at < body.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield body.subarray(at, at + n);
    at += n;
  }
}

const boundary = "----------abcdefghijklmnopqrstuvwxyz012345";

// Exactly what grammY 1.46 writes (payload.js): no spaces, unquoted filename.
function grammyBody(file: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\ncontent-disposition:form-data;name="chat_id"\r\n\r\n-100123`),
    Buffer.from(`\r\n--${boundary}\r\ncontent-disposition:form-data;name="document"\r\n\r\nattach://k3y`),
    Buffer.from(`\r\n--${boundary}\r\ncontent-disposition:form-data;name="caption"\r\n\r\nline 1\r\nline 2 ✓`),
    Buffer.from(`\r\n--${boundary}\r\ncontent-disposition:form-data;name="k3y";filename=app_20240101-030000.sql.gz.001\r\ncontent-type:application/octet-stream\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

describe("parseMultipart", () => {
  it("parses grammY's serialization whatever the chunking, spooling the file byte-exact", async () => {
    // The file contains CRLF and a near-miss of the delimiter to tempt a naive parser. The byte
    // after it is fixed: a random one equal to the boundary's last character (1 in 256) made it
    // the real delimiter.
    const file = Buffer.concat([randomBytes(5000), Buffer.from(`\r\n--${boundary.slice(0, -1)}!`), randomBytes(3000)]);
    for (const sizes of [[1], [7, 13], [4096], [1_000_000]]) {
      const result = await parseMultipart(chunked(grammyBody(file), sizes), { boundary, dir, maxFileSize: 1e9 });
      expect(result.fields).toEqual({ chat_id: "-100123", document: "attach://k3y", caption: "line 1\r\nline 2 ✓" });
      expect(result.files).toHaveLength(1);
      const [f] = result.files;
      expect(f).toMatchObject({ field: "k3y", filename: "app_20240101-030000.sql.gz.001", size: file.length, oversized: false });
      expect((await readFile(f!.path)).equals(file)).toBe(true);
      await rm(f!.path);
    }
  });

  it("parses the quoted form browsers and curl send, with a preamble", async () => {
    const body = Buffer.from(
      `preamble\r\n--${boundary}\r\nContent-Disposition: form-data; name="document"; filename="we\\"ird; name.txt"\r\n` +
        `Content-Type: text/plain\r\n\r\nhello\r\n--${boundary}  \r\nContent-Disposition: form-data; name="text"\r\n\r\n\r\n--${boundary}--`,
    );
    const result = await parseMultipart(chunked(body, [3]), { boundary, dir, maxFileSize: 100 });
    expect(result.fields).toEqual({ text: "" });
    expect(result.files[0]).toMatchObject({ field: "document", filename: 'we"ird; name.txt', contentType: "text/plain", size: 5 });
  });

  it("drains an oversized file, keeps no bytes and flags it", async () => {
    const result = await parseMultipart(chunked(grammyBody(randomBytes(10_000)), [999]), { boundary, dir, maxFileSize: 4096 });
    expect(result.files[0]).toMatchObject({ oversized: true, size: 10_000, path: "" });
    expect(result.fields.caption).toBe("line 1\r\nline 2 ✓");
    expect(await readdir(dir)).toEqual([]);
  });

  it("rejects a truncated body and removes what it spooled", async () => {
    const body = grammyBody(randomBytes(20_000));
    await expect(parseMultipart(chunked(body.subarray(0, body.length - 100), [512]), { boundary, dir, maxFileSize: 1e9 }))
      .rejects.toBeInstanceOf(MultipartError);
    expect(await readdir(dir)).toEqual([]);
  });

  it("removes spooled files when the source fails mid-file", async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield grammyBody(randomBytes(50_000)).subarray(0, 30_000);
      throw new Error("aborted");
    }
    await expect(parseMultipart(failing(), { boundary, dir, maxFileSize: 1e9 })).rejects.toThrow("aborted");
    expect(await readdir(dir)).toEqual([]);
  });

  it("reads the boundary from the content type", () => {
    expect(boundaryOf(`multipart/form-data; boundary=${boundary}`)).toBe(boundary);
    expect(boundaryOf(`multipart/form-data; boundary="a b"`)).toBe("a b");
    expect(boundaryOf("application/json")).toBeUndefined();
  });
});
