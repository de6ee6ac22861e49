import { scrypt } from "node:crypto";
import { promisify } from "node:util";

/**
 * MASTER_KEY's key derivation, apart from the secret box itself (secret-box.ts): main.ts starts it
 * before loading anything else, from the salt an existing database holds.
 */

const scryptAsync = promisify(scrypt) as (password: string, salt: Uint8Array, keylen: number, options: object) => Promise<Buffer>;

export const SALT_KEY = "crypto.salt";
export const CHECK_KEY = "crypto.check";
/** scrypt parameters the salt was made for (absent: the legacy N=2^14 of the first databases). */
export const KDF_KEY = "crypto.kdf";

/** scrypt cost parameters, stored beside the salt so a database always opens with its own. */
export interface KdfParams {
  N: number;
  r: number;
  p: number;
}

/** What databases made before the parameters were stored used. */
export const LEGACY_KDF: KdfParams = { N: 2 ** 14, r: 8, p: 1 };
/**
 * New databases: N=2^16 (64 MiB, about 0.2 s on one core; every CLI command pays it once).
 * The main defence is MASTER_KEY's own strength (see config/env.ts: 128 bits or more);
 * this makes each offline guess cost 4× what it did.
 */
export const NEW_KDF: KdfParams = { N: 2 ** 16, r: 8, p: 1 };

export function parseKdf(text: string): KdfParams {
  const v = JSON.parse(text) as Partial<KdfParams>;
  const ok = (n: unknown, max: number) => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= max;
  if (!ok(v.N, 2 ** 22) || !ok(v.r, 64) || !ok(v.p, 16)) throw new Error(`unreadable key-derivation parameters in the database: ${text}`);
  return { N: v.N!, r: v.r!, p: v.p! };
}

/** MASTER_KEY's scrypt, on libuv's thread pool (a fifth of a second or more, 64 MiB for NEW_KDF). */
export function deriveKey(masterKey: string, salt: Uint8Array, kdf: KdfParams): Promise<Buffer> {
  return scryptAsync(masterKey, salt, 32, { ...kdf, maxmem: 256 * kdf.N * kdf.r });
}

/** The settings a key derivation starts from (read early by main.ts, before the database is opened). */
export const KEY_SETTINGS = [SALT_KEY, KDF_KEY] as const;

/** A derivation started before the database was opened, and the stored values it started from. */
export interface EarlyKey {
  salt: string;
  kdf: string | null;
  key: Promise<Buffer>;
}

/**
 * Starts MASTER_KEY's scrypt from the settings of an existing database (`peekSettings` with
 * KEY_SETTINGS), so it runs on the thread pool while the application loads. Undefined when
 * there is nothing to start from (a new database); openSecretBox then derives the key itself.
 */
export function deriveEarly(stored: Record<string, string> | null, masterKey: string): EarlyKey | undefined {
  const salt = stored?.[SALT_KEY];
  if (!salt) return undefined;
  let kdf: KdfParams;
  try {
    kdf = stored[KDF_KEY] ? parseKdf(stored[KDF_KEY]) : LEGACY_KDF;
  } catch {
    return undefined; // openSecretBox reports it
  }
  const key = deriveKey(masterKey, new Uint8Array(Buffer.from(salt, "base64")), kdf);
  key.catch(() => {}); // awaited by openSecretBox; until then not an unhandled rejection
  return { salt, kdf: stored[KDF_KEY] ?? null, key };
}
