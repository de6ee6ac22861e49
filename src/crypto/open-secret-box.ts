import { CHECK_KEY, KDF_KEY, LEGACY_KDF, NEW_KDF, parseKdf, SALT_KEY, type EarlyKey, type KdfParams } from "./kdf.js";
import { SecretBox } from "./secret-box.js";

/** Where the box keeps its salt, scrypt parameters and key check (the settings table). */
export interface SecretBoxStore {
  get(key: string): string | null;
  /** Inserts every pair whose key is absent, in one write transaction; existing values win. */
  insertAllIfAbsent(values: Record<string, string>): void;
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
