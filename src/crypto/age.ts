import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  scrypt,
  timingSafeEqual,
  type KeyObject,
} from "node:crypto";
import { bech32Decode } from "./bech32.js";

/**
 * The age v1 header (https://age-encryption.org/v1) on `node:crypto`: X25519 recipient stanzas
 * and scrypt passphrase stanzas, the HKDF-SHA-256 header MAC and payload key. Other recipient
 * and identity types (`age1pq1…`, `age1tag1…`, `AGE-SECRET-KEY-PQ-1…`) are rare and cost one
 * header per file, so their stanzas are left to the `age-encryption` library.
 */

/** Thrown when a payload cannot be decrypted with what the user supplied, or is damaged. */
export class DecryptionError extends Error {
  override name = "DecryptionError";
}

const VERSION_LINE = "age-encryption.org/v1";
const X25519_LABEL = "age-encryption.org/v1/X25519";
const SCRYPT_LABEL = "age-encryption.org/v1/scrypt";
/** What `age` itself writes for a passphrase. */
const SCRYPT_LOG_N = 18;
/** The most a header may ask of scrypt (2^20 = 1 GiB of memory), as the library we replaced. */
const SCRYPT_MAX_LOG_N = 20;
const FILE_KEY_BYTES = 16;
/** The payload nonce that follows the header. */
export const PAYLOAD_NONCE_BYTES = 16;
/** Stanza bodies are base64 in lines of 64 characters (48 bytes); a shorter line ends one. */
const BODY_LINE_BYTES = 48;

interface Stanza {
  args: string[];
  body: Buffer;
}

export type AgeKeys = { identities?: string[]; passphrase?: string };

// ---------------------------------------------------------------- encodings

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64").replace(/=+$/, "");
}

/** Strict unpadded base64 as age writes it (canonical, so one encoding per value). */
function unb64(text: string): Buffer {
  const bytes = Buffer.from(text, "base64");
  if (!/^[A-Za-z0-9+/]*$/.test(text) || b64(bytes) !== text) throw new Error("invalid base64 in the age header");
  return bytes;
}

/** The 32-byte key of a bech32 string with this human-readable part, or null. */
function bech32Key(text: string, hrp: string): Buffer | null {
  const decoded = bech32Decode(text.toLowerCase());
  if (!decoded || decoded.hrp !== hrp) return null;
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  for (const w of decoded.words) {
    acc = (acc << 5) | w;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  // Padding: fewer than 5 leftover bits, all zero.
  if (bits >= 5 || (acc & ((1 << bits) - 1)) !== 0 || out.length !== 32) return null;
  return Buffer.from(out);
}

// ---------------------------------------------------------------- primitives

const PKCS8_X25519 = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_X25519 = Buffer.from("302a300506032b656e032100", "hex");

const x25519Private = (raw: Uint8Array) => createPrivateKey({ key: Buffer.concat([PKCS8_X25519, raw]), format: "der", type: "pkcs8" });
const x25519Public = (raw: Uint8Array) => createPublicKey({ key: Buffer.concat([SPKI_X25519, raw]), format: "der", type: "spki" });
const rawPublic = (key: KeyObject) => (key.export({ format: "der", type: "spki" }) as Buffer).subarray(SPKI_X25519.length);

const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string) => Buffer.from(hkdfSync("sha256", ikm, salt, info, 32));

/** ChaCha20-Poly1305 under a zero nonce: how every stanza wraps the file key. */
function wrap(key: Uint8Array, fileKey: Uint8Array): Buffer {
  const c = createCipheriv("chacha20-poly1305", key, Buffer.alloc(12), { authTagLength: 16 });
  return Buffer.concat([c.update(fileKey), c.final(), c.getAuthTag()]);
}

function unwrap(key: Uint8Array, body: Buffer): Buffer | null {
  if (body.length !== FILE_KEY_BYTES + 16) throw new Error("invalid stanza body length");
  const d = createDecipheriv("chacha20-poly1305", key, Buffer.alloc(12), { authTagLength: 16 });
  d.setAuthTag(body.subarray(FILE_KEY_BYTES));
  const fileKey = d.update(body.subarray(0, FILE_KEY_BYTES));
  try {
    d.final();
    return fileKey;
  } catch {
    return null;
  }
}

/** scrypt in the libuv pool (it takes a good fraction of a second and 256 MiB at 2^18). */
function scryptKey(passphrase: string, salt: Buffer, logN: number): Promise<Buffer> {
  const N = 2 ** logN;
  const labelled = Buffer.concat([Buffer.from(SCRYPT_LABEL), salt]);
  return new Promise((resolve, reject) =>
    scrypt(passphrase, labelled, 32, { N, r: 8, p: 1, maxmem: 2 * 128 * 8 * N }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** HKDF-SHA-256(file key, nonce, "payload"): the STREAM key. */
export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return hkdf(fileKey, nonce, "payload");
}

function headerMac(fileKey: Uint8Array, headerNoMac: Buffer): Buffer {
  return createHmac("sha256", hkdf(fileKey, Buffer.alloc(0), "header")).update(headerNoMac).digest();
}

// ---------------------------------------------------------------- header

function encodeHeader(stanzas: Stanza[], fileKey: Uint8Array): Buffer {
  const lines = [VERSION_LINE];
  for (const s of stanzas) {
    lines.push(`-> ${s.args.join(" ")}`);
    for (let i = 0; i <= s.body.length; i += BODY_LINE_BYTES) lines.push(b64(s.body.subarray(i, i + BODY_LINE_BYTES)));
  }
  const noMac = Buffer.from(`${lines.join("\n")}\n---`);
  return Buffer.concat([noMac, Buffer.from(` ${b64(headerMac(fileKey, noMac))}\n`)]);
}

/** Where the header ends (just after the MAC line's newline) in `bytes`, or -1 when not yet seen. */
export function headerLength(bytes: Buffer): number {
  const mac = bytes.indexOf("\n--- ");
  if (mac < 0) return -1;
  const end = bytes.indexOf("\n", mac + 1);
  return end < 0 ? -1 : end + 1;
}

interface ParsedHeader {
  stanzas: Stanza[];
  noMac: Buffer;
  mac: Buffer;
}

function parseHeader(header: Buffer): ParsedHeader {
  const lines = header.toString("latin1").split("\n");
  lines.pop(); // after the final newline
  if (lines[0] !== VERSION_LINE) throw new Error("not an age file (or an unsupported age version)");
  const stanzas: Stanza[] = [];
  let i = 1;
  while (lines[i]?.startsWith("-> ")) {
    const args = lines[i]!.slice(3).split(" ");
    if (args.some((a) => a.length === 0)) throw new Error("malformed age header");
    const body: Buffer[] = [];
    for (;;) {
      const line = lines[++i];
      if (line === undefined || line.length > 64) throw new Error("malformed age header");
      const bytes = unb64(line);
      body.push(bytes);
      if (bytes.length < BODY_LINE_BYTES) break;
    }
    stanzas.push({ args, body: Buffer.concat(body) });
    i++;
  }
  const macLine = lines[i];
  if (macLine === undefined || !macLine.startsWith("--- ") || i !== lines.length - 1) throw new Error("malformed age header");
  const mac = unb64(macLine.slice(4));
  if (mac.length !== 32) throw new Error("malformed age header");
  return { stanzas, noMac: header.subarray(0, header.length - macLine.length - 1 + 3), mac };
}

// ---------------------------------------------------------------- recipients and identities

const isX25519Recipient = (r: string) => r.startsWith("age1") && bech32Key(r, "age") !== null;

function x25519Stanza(recipient: string, fileKey: Uint8Array): Stanza {
  const theirs = bech32Key(recipient, "age")!;
  const ephemeral = generateKeyPairSync("x25519");
  const share = rawPublic(ephemeral.publicKey);
  const secret = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: x25519Public(theirs) });
  const key = hkdf(secret, Buffer.concat([share, theirs]), X25519_LABEL);
  return { args: ["X25519", b64(share)], body: wrap(key, fileKey) };
}

function x25519Unwrap(identity: Buffer, stanzas: Stanza[]): Buffer | null {
  const privateKey = x25519Private(identity);
  const ours = rawPublic(createPublicKey(privateKey));
  for (const s of stanzas) {
    if (s.args[0] !== "X25519") continue;
    const share = s.args.length === 2 ? unb64(s.args[1]!) : Buffer.alloc(0);
    if (share.length !== 32) throw new Error("invalid X25519 stanza");
    let secret: Buffer;
    try {
      // OpenSSL refuses a low-order share (an all-zero shared secret), as age requires.
      secret = diffieHellman({ privateKey, publicKey: x25519Public(share) });
    } catch {
      throw new Error("invalid X25519 stanza");
    }
    const fileKey = unwrap(hkdf(secret, Buffer.concat([share, ours]), X25519_LABEL), s.body);
    if (fileKey) return fileKey;
  }
  return null;
}

async function scryptUnwrap(passphrase: string, stanzas: Stanza[]): Promise<Buffer | null> {
  const s = stanzas.find((x) => x.args[0] === "scrypt");
  if (!s) return null;
  if (stanzas.length !== 1) throw new Error("an age passphrase (scrypt) stanza must be the only one in the header");
  const [, saltText, logNText] = s.args;
  if (s.args.length !== 3 || !/^[1-9][0-9]?$/.test(logNText!)) throw new Error("invalid scrypt stanza");
  const salt = unb64(saltText!);
  const logN = Number(logNText);
  if (salt.length !== 16) throw new Error("invalid scrypt stanza");
  if (logN > SCRYPT_MAX_LOG_N) throw new Error(`the scrypt work factor 2^${logN} is too high`);
  return unwrap(await scryptKey(passphrase, salt, logN), s.body);
}

/** The header for `recipients` (age1…) or a passphrase, and the new file key it wraps. */
export async function newHeader(encryption: { recipients: string[] } | { passphrase: string }): Promise<{ header: Buffer; fileKey: Buffer }> {
  const fileKey = randomBytes(FILE_KEY_BYTES);
  if ("passphrase" in encryption) {
    const salt = randomBytes(16);
    const key = await scryptKey(encryption.passphrase, salt, SCRYPT_LOG_N);
    return { header: encodeHeader([{ args: ["scrypt", b64(salt), String(SCRYPT_LOG_N)], body: wrap(key, fileKey) }], fileKey), fileKey };
  }
  if (encryption.recipients.length === 0) throw new Error("no age recipients");
  if (!encryption.recipients.every(isX25519Recipient)) return libraryHeader(encryption.recipients);
  return { header: encodeHeader(encryption.recipients.map((r) => x25519Stanza(r, fileKey)), fileKey), fileKey };
}

/**
 * The library writes the header for recipient types we do not implement. It keeps the file
 * key to itself, so one extra recipient that wraps nothing (no stanza) is handed the key the
 * others wrap; the file it encrypts (empty) is dropped after its header.
 */
async function libraryHeader(recipients: string[]): Promise<{ header: Buffer; fileKey: Buffer }> {
  const { Encrypter } = await import("age-encryption");
  const e = new Encrypter();
  let fileKey: Buffer | undefined;
  for (const r of recipients) e.addRecipient(r);
  e.addRecipient({
    wrapFileKey: (key) => {
      fileKey = Buffer.from(key);
      return [];
    },
  });
  const file = Buffer.from(await e.encrypt(new Uint8Array(0)));
  const end = headerLength(file);
  if (end < 0 || !fileKey) throw new Error("the age library wrote no header");
  return { header: file.subarray(0, end), fileKey };
}

/**
 * The file key of the age header `header` (exactly the header, as `headerLength` finds it),
 * unwrapped with `keys` and checked against the header MAC.
 * @throws Error naming why when the keys do not open it or the header is malformed
 */
export async function openHeader(header: Buffer, keys: AgeKeys): Promise<Buffer> {
  const parsed = parseHeader(header);
  let fileKey: Buffer | null = null;
  const others: string[] = [];
  for (const id of keys.identities ?? []) {
    const key = id.startsWith("AGE-SECRET-KEY-1") ? bech32Key(id, "age-secret-key-") : null;
    if (!key) {
      others.push(id);
      continue;
    }
    fileKey = x25519Unwrap(key, parsed.stanzas);
    if (fileKey) break;
  }
  if (!fileKey && keys.passphrase !== undefined) fileKey = await scryptUnwrap(keys.passphrase, parsed.stanzas);
  if (!fileKey && others.length > 0) fileKey = await libraryUnwrap(header, others);
  if (!fileKey) throw new Error("no identity matched any of the file's recipients");
  if (!timingSafeEqual(headerMac(fileKey, parsed.noMac), parsed.mac)) throw new Error("invalid header MAC");
  return fileKey;
}

async function libraryUnwrap(header: Buffer, identities: string[]): Promise<Buffer | null> {
  const { Decrypter } = await import("age-encryption");
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id);
  try {
    return Buffer.from(await d.decryptHeader(header));
  } catch (err) {
    if ((err as Error).message.includes("no identity matched")) return null;
    throw err;
  }
}
