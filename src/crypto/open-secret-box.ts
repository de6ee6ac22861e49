import { deriveKey, LEGACY_KDF, NEW_KDF, parseKdf, SecretBox, type KdfParams } from "./secret-box.js";

/** Where the box keeps its salt, scrypt parameters and key check (the settings table). */
export interface SecretBoxStore {
  get(key: string): string | null;
  /** Inserts every pair whose key is absent, in one write transaction; existing values win. */
  insertAllIfAbsent(values: Record<string, string>): void;
}

const SALT_KEY = "crypto.salt";
const CHECK_KEY = "crypto.check";
/** scrypt parameters the salt was made for (absent: the legacy N=2^14 of the first databases). */
const KDF_KEY = "crypto.kdf";

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

/**
 * Opens the database's secret box with MASTER_KEY. A new database is bound to the key it is
 * first opened with; afterwards a different key is refused (WrongMasterKeyError), never used.
 *
 * Safe when several processes open a new database at once (`run` and `config import` started
 * together): the salt and its parameters are inserted only when absent, in one write
 * transaction, and every process then derives its key from what is stored, never from the salt
 * it proposed. The key check is written the same way, so the first writer's check binds the
 * database and a second process with another key is refused.
 */
export async function openSecretBox(settings: SecretBoxStore, masterKey: string, early?: EarlyKey): Promise<SecretBox> {
  if (!settings.get(SALT_KEY)) {
    settings.insertAllIfAbsent({
      [SALT_KEY]: Buffer.from(SecretBox.newSalt()).toString("base64"),
      [KDF_KEY]: JSON.stringify(NEW_KDF),
    });
  }
  const storedSalt = settings.get(SALT_KEY)!;
  const salt = new Uint8Array(Buffer.from(storedSalt, "base64"));
  const stored = settings.get(KDF_KEY);
  const kdf: KdfParams = stored ? parseKdf(stored) : LEGACY_KDF;
  // The early derivation counts only if it started from what is stored now.
  const derived = early && early.salt === storedSalt && early.kdf === stored ? early.key : undefined;
  const box = await SecretBox.create(masterKey, salt, kdf, derived);
  if (!settings.get(CHECK_KEY)) settings.insertAllIfAbsent({ [CHECK_KEY]: box.makeCheck() });
  box.assertCheck(settings.get(CHECK_KEY) ?? "");
  return box;
}
