import { randomBytes } from "node:crypto";
import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { deriveKey, NEW_KDF, type KdfParams } from "./kdf.js";

/** Thrown at start-up when MASTER_KEY does not open the database's secrets. */
export class WrongMasterKeyError extends Error {
  override name = "WrongMasterKeyError";
  constructor() {
    super("MASTER_KEY does not match the key this database was created with; refusing to start (restore the original MASTER_KEY)");
  }
}

const PREFIX = "sb1:";
const NONCE_BYTES = 24;
const CHECK_PLAINTEXT = "tele-backup master key check";

/**
 * Symmetric encryption for secrets stored in the database: NaCl's crypto_secretbox
 * (XSalsa20-Poly1305), stored as "sb1:" + base64(nonce || tag || ciphertext), the layout of
 * libsodium's crypto_secretbox_easy, which made the values of earlier versions (a test holds one).
 * The cipher is @noble/ciphers' audited JavaScript: secrets are a few bytes, and it loads in a
 * third of the time libsodium's WebAssembly takes to start, on every command's critical path.
 * The key is derived from MASTER_KEY with scrypt (parameters stored per database) and a
 * per-database random salt.
 */
export class SecretBox {
  private constructor(private readonly key: Uint8Array) {}

  /** `derived`: the key already being derived from this salt and these parameters (see deriveKey). */
  static async create(masterKey: string, salt: Uint8Array, kdf: KdfParams = NEW_KDF, derived: Promise<Buffer> = deriveKey(masterKey, salt, kdf)): Promise<SecretBox> {
    const key = await derived;
    return new SecretBox(new Uint8Array(key));
  }

  static newSalt(): Uint8Array {
    return new Uint8Array(randomBytes(16));
  }

  encrypt(plaintext: string): string {
    const nonce = new Uint8Array(randomBytes(NONCE_BYTES));
    const box = xsalsa20poly1305(this.key, nonce).encrypt(new TextEncoder().encode(plaintext));
    const out = new Uint8Array(nonce.length + box.length);
    out.set(nonce);
    out.set(box, nonce.length);
    return PREFIX + Buffer.from(out).toString("base64");
  }

  /** Throws when the ciphertext was not made with this key. */
  decrypt(ciphertext: string): string {
    if (!ciphertext.startsWith(PREFIX)) throw new Error("not a secretbox value");
    const raw = new Uint8Array(Buffer.from(ciphertext.slice(PREFIX.length), "base64"));
    if (raw.length < NONCE_BYTES + xsalsa20poly1305.tagLength) throw new Error("not a secretbox value");
    const nonce = raw.subarray(0, NONCE_BYTES);
    const box = raw.subarray(NONCE_BYTES);
    // Throws when the tag does not match (another key, or altered ciphertext).
    const plain = xsalsa20poly1305(this.key, nonce).decrypt(box);
    return new TextDecoder("utf-8", { fatal: true }).decode(plain);
  }

  makeCheck(): string {
    return this.encrypt(CHECK_PLAINTEXT);
  }

  /** @throws WrongMasterKeyError when `check` was made under another key. */
  assertCheck(check: string): void {
    let plain: string;
    try {
      plain = this.decrypt(check);
    } catch {
      throw new WrongMasterKeyError();
    }
    if (plain !== CHECK_PLAINTEXT) throw new WrongMasterKeyError();
  }

  encryptOptional(value: string | null | undefined): string | null {
    return value == null ? null : this.encrypt(value);
  }

  decryptOptional(value: string | null | undefined): string | null {
    return value == null ? null : this.decrypt(value);
  }
}
