import { createCipheriv, createDecipheriv } from "node:crypto";

/**
 * The age v1 payload (https://age-encryption.org/v1): STREAM over ChaCha20-Poly1305, 64 KiB
 * plaintext chunks, each sealed under the nonce `11-byte big-endian counter ‖ last-chunk flag`.
 * The last chunk is the only one flagged, is never empty unless the whole plaintext is, and
 * may be full: so a full chunk is sealed only once a byte after it has been seen.
 *
 * Both classes are synchronous: the caller hands them whatever it read (any size) and gets
 * back the sealed or opened chunks that input completed, as one buffer, so a stage pays one
 * `yield` per input buffer, not one per 64 KiB chunk. The cipher itself is OpenSSL's.
 */
export const AGE_CHUNK = 64 * 1024;
const TAG = 16;
const SEALED_CHUNK = AGE_CHUNK + TAG;
/** 2^48 chunks (16 EiB) keeps the counter inside a safe integer; age allows 2^88. */
const MAX_CHUNKS = 2 ** 48;

/** The payload is not what the key sealed: damaged, truncated, or followed by extra bytes. */
export class PayloadAuthError extends Error {
  override name = "PayloadAuthError";
}

function nonce(counter: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeUIntBE(counter, 5, 6);
  n[11] = last ? 1 : 0;
  return n;
}

export class StreamEncryptor {
  private readonly carry = Buffer.alloc(AGE_CHUNK);
  private carried = 0;
  private counter = 0;
  private done = false;

  constructor(private readonly key: Uint8Array) {}

  /** Seals every chunk `data` completes except one that could still be the last. */
  push(data: Uint8Array): Buffer {
    const out: Buffer[] = [];
    let i = 0;
    if (this.carried > 0) {
      i = Math.min(AGE_CHUNK - this.carried, data.length);
      this.carry.set(data.subarray(0, i), this.carried);
      this.carried += i;
      if (this.carried === AGE_CHUNK && i < data.length) {
        this.seal(this.carry, false, out);
        this.carried = 0;
      }
    }
    if (this.carried === 0 && i < data.length) {
      // Whole chunks straight from the input, no copy; at least one byte stays behind.
      while (data.length - i > AGE_CHUNK) {
        this.seal(data.subarray(i, i + AGE_CHUNK), false, out);
        i += AGE_CHUNK;
      }
      this.carry.set(data.subarray(i), 0);
      this.carried = data.length - i;
    }
    return out.length === 0 ? EMPTY : Buffer.concat(out);
  }

  /** Seals the last chunk (empty only when nothing was pushed). */
  final(): Buffer {
    if (this.done) throw new Error("the age payload is already finished");
    this.done = true;
    const out: Buffer[] = [];
    this.seal(this.carry.subarray(0, this.carried), true, out);
    return Buffer.concat(out);
  }

  private seal(plain: Uint8Array, last: boolean, out: Buffer[]): void {
    if (this.counter >= MAX_CHUNKS) throw new Error("the age payload is too large");
    const cipher = createCipheriv("chacha20-poly1305", this.key, nonce(this.counter++, last), { authTagLength: TAG });
    out.push(cipher.update(plain));
    cipher.final();
    out.push(cipher.getAuthTag());
  }
}

export class StreamDecryptor {
  private readonly carry = Buffer.alloc(SEALED_CHUNK);
  private carried = 0;
  private counter = 0;

  constructor(private readonly key: Uint8Array) {}

  /**
   * Opens every sealed chunk `data` completes except one that could still be the last.
   * @throws PayloadAuthError when a chunk does not authenticate (nothing of it is returned)
   */
  push(data: Uint8Array): Buffer {
    const out: Buffer[] = [];
    let i = 0;
    if (this.carried > 0) {
      i = Math.min(SEALED_CHUNK - this.carried, data.length);
      this.carry.set(data.subarray(0, i), this.carried);
      this.carried += i;
      if (this.carried === SEALED_CHUNK && i < data.length) {
        out.push(this.open(this.carry, false));
        this.carried = 0;
      }
    }
    if (this.carried === 0 && i < data.length) {
      while (data.length - i > SEALED_CHUNK) {
        out.push(this.open(data.subarray(i, i + SEALED_CHUNK), false));
        i += SEALED_CHUNK;
      }
      this.carry.set(data.subarray(i), 0);
      this.carried = data.length - i;
    }
    return out.length === 0 ? EMPTY : Buffer.concat(out);
  }

  /**
   * Opens the last chunk.
   * @throws PayloadAuthError when the payload ends early or its last chunk does not authenticate
   */
  final(): Buffer {
    if (this.carried < TAG) throw new PayloadAuthError("the encrypted payload is truncated");
    const plain = this.open(this.carry.subarray(0, this.carried), true);
    if (plain.length === 0 && this.counter > 1) throw new PayloadAuthError("the encrypted payload ends with an empty chunk");
    return plain;
  }

  private open(sealed: Uint8Array, last: boolean): Buffer {
    if (this.counter >= MAX_CHUNKS) throw new PayloadAuthError("the age payload is too large");
    const index = this.counter++;
    const decipher = createDecipheriv("chacha20-poly1305", this.key, nonce(index, last), { authTagLength: TAG });
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
    const plain = decipher.update(sealed.subarray(0, sealed.length - TAG));
    try {
      decipher.final();
    } catch {
      throw new PayloadAuthError(
        last
          ? `the encrypted payload is damaged or truncated (its last chunk, number ${index + 1}, does not authenticate)`
          : `the encrypted payload is damaged (chunk ${index + 1} does not authenticate)`,
      );
    }
    return plain;
  }
}

const EMPTY = Buffer.alloc(0);
