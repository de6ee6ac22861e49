/**
 * Byte-for-byte compatibility of our age stages with the real `age` CLI, both ways, for
 * recipients and passphrases. `age -p` reads a passphrase only from a terminal, so it runs
 * under `script`, which gives it one.
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateHybridIdentity, identityToRecipient, Decrypter, Encrypter } from "age-encryption";
import { ageDecrypt, ageDecryptWithFileKey, ageEncrypt, DecryptionError, unwrapAgeFileKey } from "./encrypt.js";
import { runPipeline } from "./run-pipeline.js";

const run = promisify(execFile);
const CHUNK = 64 * 1024;
/** Header + nonce + one sealed full chunk: the byte count of a cut at a chunk boundary. */
const SEALED = CHUNK + 16;

/** Feeds `input` in uneven slices (1 byte, just under, at and over a chunk…) so every carry path runs. */
function* slices(input: Buffer): Generator<Buffer> {
  const sizes = [1, CHUNK - 1, CHUNK, CHUNK + 1, 7, 3 * CHUNK + 5, 250_000];
  for (let off = 0, i = 0; off < input.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield input.subarray(off, off + n);
    off += n;
  }
}

async function through(input: Buffer, stage: ReturnType<typeof ageEncrypt>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  await runPipeline([
    Readable.from(slices(input)),
    stage,
    async (source: AsyncIterable<Uint8Array>) => {
      for await (const c of source) out.push(c);
    },
  ]);
  return Buffer.concat(out);
}

let dir: string;
const file = (name: string) => path.join(dir, name);

/** Runs `age` on a pseudo-terminal, answering every passphrase prompt with `passphrase`. */
function ageWithTty(args: string[], passphrase: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const command = ["age", ...args].map((a) => `'${a}'`).join(" ");
    const child = spawn("script", ["-qec", command, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
    let screen = "";
    let answered = 0;
    child.stdout.on("data", (d: Buffer) => {
      screen += d.toString();
      const prompts = screen.match(/passphrase/gi)?.length ?? 0;
      for (; answered < prompts; answered++) child.stdin.write(`${passphrase}\n`);
    });
    child.stderr.on("data", (d: Buffer) => (screen += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      child.stdin.end();
      if (code === 0) resolve();
      else reject(new Error(`age ${args.join(" ")} exited ${code}: ${screen}`));
    });
  });
}

const SIZES: Array<[string, number]> = [
  ["empty", 0],
  ["exactly 64 KiB", CHUNK],
  ["64 KiB + 1", CHUNK + 1],
  ["5 MiB + 123 random", 5 * 1024 * 1024 + 123],
];
const inputOf = (size: number) => randomBytes(size);

let identity: string;
let recipient: string;
let otherIdentity: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "age-interop-"));
  const keygen = async (name: string) => {
    await run("age-keygen", ["-o", file(name)]);
    const text = await readFile(file(name), "utf8");
    return { identity: /^AGE-SECRET-KEY-1\S+$/m.exec(text)![0], recipient: /public key: (age1\S+)/.exec(text)![1]! };
  };
  ({ identity, recipient } = await keygen("key.txt"));
  otherIdentity = (await keygen("other.txt")).identity;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("age interop: recipients", () => {
  for (const [name, size] of SIZES) {
    it(`ours → age -d: ${name}`, async () => {
      const input = inputOf(size);
      const sealed = await through(input, ageEncrypt({ kind: "recipients", recipients: [recipient] }));
      expect(sealed.subarray(0, 22).toString()).toBe("age-encryption.org/v1\n");
      await writeFile(file("ours.age"), sealed);
      const { stdout } = await run("age", ["-d", "-i", file("key.txt"), file("ours.age")], { encoding: "buffer", maxBuffer: 64 * 1024 * 1024 });
      expect(stdout.equals(input)).toBe(true);
    });

    it(`age -r → ours: ${name}`, async () => {
      const input = inputOf(size);
      await writeFile(file("plain"), input);
      await run("age", ["-r", recipient, "-o", file("theirs.age"), file("plain")]);
      const theirs = await readFile(file("theirs.age"));
      expect((await through(theirs, ageDecrypt({ identities: [identity] }))).equals(input)).toBe(true);
      // The restore path: the file key unwrapped once, then the payload.
      const fileKey = await unwrapAgeFileKey(theirs, { identities: [identity] });
      expect(fileKey).not.toBeNull();
      expect((await through(theirs, ageDecryptWithFileKey(fileKey!))).equals(input)).toBe(true);
    });
  }

  it("several recipients: age -d opens it with the second one's key", async () => {
    const input = inputOf(100_000);
    const other = (await readFile(file("other.txt"), "utf8")).match(/public key: (age1\S+)/)![1]!;
    await writeFile(file("two.age"), await through(input, ageEncrypt({ kind: "recipients", recipients: [recipient, other] })));
    await run("age", ["-d", "-i", file("other.txt"), "-o", file("two.out"), file("two.age")]);
    expect((await readFile(file("two.out"))).equals(input)).toBe(true);
  });

  it("a wrong identity is refused with the DecryptionError text, and unwrap says null", async () => {
    await writeFile(file("plain"), inputOf(1000));
    await run("age", ["-r", recipient, "-o", file("theirs.age"), file("plain")]);
    const theirs = await readFile(file("theirs.age"));
    const err = await through(theirs, ageDecrypt({ identities: [otherIdentity] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecryptionError);
    expect((err as Error).message).toBe("cannot decrypt the backup: no identity matched any of the file's recipients (wrong identity or passphrase?)");
    expect(await unwrapAgeFileKey(theirs, { identities: [otherIdentity] })).toBeNull();
  });

  describe("damaged files made by age -r", () => {
    let theirs: Buffer;
    let input: Buffer;
    let headerEnd: number;
    beforeAll(async () => {
      input = inputOf(3 * CHUNK + 1000);
      await writeFile(file("plain"), input);
      await run("age", ["-r", recipient, "-o", file("damaged.age"), file("plain")]);
      theirs = await readFile(file("damaged.age"));
      headerEnd = theirs.indexOf("\n", theirs.indexOf("\n--- ") + 1) + 1 + 16;
    });
    const decrypt = (bytes: Buffer) => through(bytes, ageDecrypt({ identities: [identity] }));

    it("truncated in the last chunk", async () => {
      await expect(decrypt(theirs.subarray(0, theirs.length - 100))).rejects.toThrow(
        new DecryptionError("cannot decrypt the backup: the encrypted payload is damaged or truncated (its last chunk, number 4, does not authenticate)"),
      );
    });

    it("truncated exactly at a chunk boundary (no last-chunk flag left)", async () => {
      const cut = theirs.subarray(0, headerEnd + 2 * SEALED);
      await expect(decrypt(cut)).rejects.toThrow(/^cannot decrypt the backup: the encrypted payload is damaged or truncated \(its last chunk, number 2, does not authenticate\)$/);
    });

    it("truncated inside the header or the nonce", async () => {
      await expect(decrypt(theirs.subarray(0, 30))).rejects.toThrow(/^cannot decrypt the backup: no age header/);
      await expect(decrypt(theirs.subarray(0, headerEnd - 4))).rejects.toThrow("cannot decrypt the backup: the encrypted payload is truncated");
    });

    it("a flipped byte in the payload fails that chunk, and nothing of it is emitted", async () => {
      const flipped = Buffer.from(theirs);
      flipped[headerEnd + SEALED + 10]! ^= 0x01;
      const out: Uint8Array[] = [];
      const err = await runPipeline([
        Readable.from([flipped]),
        ageDecrypt({ identities: [identity] }),
        async (source: AsyncIterable<Uint8Array>) => {
          for await (const c of source) out.push(c);
        },
      ]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DecryptionError);
      expect((err as Error).message).toBe("cannot decrypt the backup: the encrypted payload is damaged (chunk 2 does not authenticate)");
      expect(Buffer.concat(out).length).toBeLessThanOrEqual(CHUNK);
    });

    it("a flipped byte in the header fails its MAC", async () => {
      const flipped = Buffer.from(theirs);
      const macAt = theirs.indexOf("\n--- ") + 6;
      flipped[macAt] = flipped[macAt] === 0x41 ? 0x42 : 0x41;
      await expect(decrypt(flipped)).rejects.toThrow("cannot decrypt the backup: invalid header MAC (wrong identity or passphrase?)");
    });

    it("bytes appended after the last chunk", async () => {
      await expect(decrypt(Buffer.concat([theirs, Buffer.from("x")]))).rejects.toThrow(/^cannot decrypt the backup: the encrypted payload is damaged/);
    });
  });
});

describe("age interop: passphrases", () => {
  const passphrase = "correct horse battery staple ünïcode";
  for (const [name, size] of SIZES) {
    it(`ours → age -d (passphrase): ${name}`, async () => {
      const input = inputOf(size);
      const sealed = await through(input, ageEncrypt({ kind: "passphrase", passphrase }));
      expect(sealed.toString("latin1", 0, 60)).toMatch(/^age-encryption\.org\/v1\n-> scrypt \S{22} 18\n/);
      await writeFile(file("pw.age"), sealed);
      await rm(file("pw.out"), { force: true });
      await ageWithTty(["-d", "-o", file("pw.out"), file("pw.age")], passphrase);
      // age creates its output file on the first byte: none for an empty payload.
      expect((await readFile(file("pw.out")).catch(() => Buffer.alloc(0))).equals(input)).toBe(true);
    });

    it(`age -p → ours: ${name}`, async () => {
      const input = inputOf(size);
      await writeFile(file("plain"), input);
      await rm(file("theirs-pw.age"), { force: true });
      await ageWithTty(["-p", "-o", file("theirs-pw.age"), file("plain")], passphrase);
      const theirs = await readFile(file("theirs-pw.age"));
      expect((await through(theirs, ageDecrypt({ passphrase }))).equals(input)).toBe(true);
    });
  }

  it("a wrong passphrase is refused with the DecryptionError text; age -d refuses ours too", async () => {
    const sealed = await through(inputOf(1000), ageEncrypt({ kind: "passphrase", passphrase }));
    await expect(through(sealed, ageDecrypt({ passphrase: "not it" }))).rejects.toThrow(
      new DecryptionError("cannot decrypt the backup: no identity matched any of the file's recipients (wrong identity or passphrase?)"),
    );
    expect(await unwrapAgeFileKey(sealed, { passphrase: "not it" })).toBeNull();
    await writeFile(file("pw.age"), sealed);
    await expect(ageWithTty(["-d", "-o", file("pw-wrong.out"), file("pw.age")], "not it")).rejects.toThrow(/incorrect passphrase/);
  });
});

describe("age: recipient types left to the library", () => {
  it("post-quantum recipients: ours ↔ age-encryption both ways", async () => {
    const pq = await generateHybridIdentity();
    const pqRecipient = await identityToRecipient(pq);
    const input = inputOf(CHUNK * 2 + 3);
    const ours = await through(input, ageEncrypt({ kind: "recipients", recipients: [pqRecipient, recipient] }));
    const d = new Decrypter();
    d.addIdentity(pq);
    expect(Buffer.from(await d.decrypt(ours)).equals(input)).toBe(true);
    // and the X25519 recipient beside it opens it with our own code
    expect((await through(ours, ageDecrypt({ identities: [identity] }))).equals(input)).toBe(true);

    const e = new Encrypter();
    e.addRecipient(pqRecipient);
    const theirs = Buffer.from(await e.encrypt(input));
    expect((await through(theirs, ageDecrypt({ identities: [pq] }))).equals(input)).toBe(true);
    await expect(through(theirs, ageDecrypt({ identities: [identity] }))).rejects.toThrow(/no identity matched/);
  });
});
