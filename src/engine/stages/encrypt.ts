import { randomBytes } from "node:crypto";
import { DecryptionError, headerLength, newHeader, openHeader, PAYLOAD_NONCE_BYTES, payloadKey, type AgeKeys } from "../../crypto/age.js";
import { PayloadAuthError, StreamDecryptor, StreamEncryptor } from "../../crypto/age-stream.js";
import type { Encryption } from "../../domain.js";

export { DecryptionError };

type Stage = (source: AsyncIterable<Uint8Array>) => AsyncGenerator<Uint8Array>;

/** More than any age header this program reads (a stanza per recipient, a few hundred bytes each). */
const MAX_HEADER = 256 * 1024;

/** An age encryption stage (standard age format: `age -d` decrypts it without this program). */
export function ageEncrypt(encryption: Exclude<Encryption, { kind: "none" }>): Stage {
  return async function* (source) {
    const { header, fileKey } = await newHeader(encryption.kind === "recipients" ? { recipients: encryption.recipients } : { passphrase: encryption.passphrase });
    const nonce = randomBytes(PAYLOAD_NONCE_BYTES);
    const stream = new StreamEncryptor(payloadKey(fileKey, nonce));
    yield Buffer.concat([header, nonce]);
    for await (const chunk of source) {
      const sealed = stream.push(chunk);
      if (sealed.length > 0) yield sealed;
    }
    const last = stream.final();
    if (last.length > 0) yield last;
  };
}

/**
 * Decrypts with age identities (AGE-SECRET-KEY-1...) and/or a passphrase.
 * @throws DecryptionError when the keys do not open the payload, or it is damaged or truncated
 */
export function ageDecrypt(keys: AgeKeys): Stage {
  return async function* (source) {
    const it = source[Symbol.asyncIterator]();
    try {
      const head = await readHead(it);
      let fileKey: Buffer;
      try {
        fileKey = await openHeader(head.header, keys);
      } catch (err) {
        throw new DecryptionError(`cannot decrypt the backup: ${(err as Error).message} (wrong identity or passphrase?)`, { cause: err });
      }
      yield* decryptPayload(fileKey, head, it);
    } finally {
      await it.return?.();
    }
  };
}

/** The age file key that `keys` unwrap from the header at the start of `bytes`, or null when they do not. */
export async function unwrapAgeFileKey(bytes: Buffer, keys: AgeKeys): Promise<Buffer | null> {
  const end = headerLength(bytes);
  if (end < 0) return null;
  return openHeader(bytes.subarray(0, end), keys).catch(() => null);
}

/** An age decryption stage with a file key already unwrapped (see `unwrapAgeFileKey`): skips the header. */
export function ageDecryptWithFileKey(fileKey: Uint8Array): Stage {
  return async function* (source) {
    const it = source[Symbol.asyncIterator]();
    try {
      yield* decryptPayload(fileKey, await readHead(it), it);
    } finally {
      await it.return?.();
    }
  };
}

interface Head {
  header: Buffer;
  nonce: Buffer;
  /** Payload bytes read along with the header. */
  payload: Buffer;
}

/** Reads until the header and the payload nonce are in. */
async function readHead(it: AsyncIterator<Uint8Array>): Promise<Head> {
  let bytes = Buffer.alloc(0);
  let end = -1;
  while (end < 0 || bytes.length < end + PAYLOAD_NONCE_BYTES) {
    const next = await it.next();
    if (next.done) break;
    bytes = Buffer.concat([bytes, next.value]);
    if (end < 0) end = headerLength(bytes);
    if (end < 0 && bytes.length > MAX_HEADER) break;
  }
  if (end < 0) throw new DecryptionError("cannot decrypt the backup: no age header (not an age file, or it is truncated) (wrong identity or passphrase?)");
  return { header: bytes.subarray(0, end), nonce: bytes.subarray(end, end + PAYLOAD_NONCE_BYTES), payload: bytes.subarray(end + PAYLOAD_NONCE_BYTES) };
}

async function* decryptPayload(fileKey: Uint8Array, head: Head, rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    if (head.nonce.length < PAYLOAD_NONCE_BYTES) throw new PayloadAuthError("the encrypted payload is truncated");
    const stream = new StreamDecryptor(payloadKey(fileKey, head.nonce));
    let plain = stream.push(head.payload);
    for (;;) {
      if (plain.length > 0) yield plain;
      const next = await rest.next();
      if (next.done) break;
      plain = stream.push(next.value);
    }
    plain = stream.final();
    if (plain.length > 0) yield plain;
  } catch (err) {
    if (err instanceof PayloadAuthError) throw new DecryptionError(`cannot decrypt the backup: ${err.message}`, { cause: err });
    throw err;
  }
}

/** Parses an age identity file: one AGE-SECRET-KEY-... per line, `#` comments ignored. */
export function parseIdentityFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
}
