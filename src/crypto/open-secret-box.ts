import type { SettingsRepo } from "../repos/settings.repo.js";
import { SecretBox } from "./secret-box.js";

const SALT_KEY = "crypto.salt";
const CHECK_KEY = "crypto.check";

/**
 * Opens the database's secret box with MASTER_KEY. A new database is bound to the key it is
 * first opened with; afterwards a different key is refused (WrongMasterKeyError), never used.
 */
export async function openSecretBox(settings: SettingsRepo, masterKey: string): Promise<SecretBox> {
  const saltB64 = settings.get(SALT_KEY);
  if (!saltB64) {
    const salt = SecretBox.newSalt();
    const box = await SecretBox.create(masterKey, salt);
    settings.set(SALT_KEY, Buffer.from(salt).toString("base64"));
    settings.set(CHECK_KEY, box.makeCheck());
    return box;
  }
  const box = await SecretBox.create(masterKey, new Uint8Array(Buffer.from(saltB64, "base64")));
  box.assertCheck(settings.get(CHECK_KEY) ?? "");
  return box;
}
