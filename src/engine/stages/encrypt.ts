import type { Encryption } from "../../domain.js";

type Stage = (source: AsyncIterable<Uint8Array>) => AsyncGenerator<Uint8Array>;

/** Thrown when a payload cannot be decrypted with what the user supplied. */
export class DecryptionError extends Error {
  override name = "DecryptionError";
}

/** An age encryption stage (standard age format: `age -d` decrypts it without this program). */
export function ageEncrypt(encryption: Exclude<Encryption, { kind: "none" }>): Stage {
  return async function* (source) {
    const { Encrypter } = await import("age-encryption");
    const e = new Encrypter();
    if (encryption.kind === "recipients") for (const r of encryption.recipients) e.addRecipient(r);
    else e.setPassphrase(encryption.passphrase);
    const out = await e.encrypt(ReadableStream.from(source));
    for await (const chunk of out) yield chunk;
  };
}

/** Decrypts with age identities (AGE-SECRET-KEY-1...) and/or a passphrase. */
export function ageDecrypt(keys: { identities?: string[]; passphrase?: string }): Stage {
  return async function* (source) {
    const { Decrypter } = await import("age-encryption");
    const d = new Decrypter();
    for (const id of keys.identities ?? []) d.addIdentity(id);
    if (keys.passphrase) d.addPassphrase(keys.passphrase);
    let out: ReadableStream<Uint8Array>;
    try {
      out = await d.decrypt(ReadableStream.from(source));
    } catch (err) {
      throw new DecryptionError(`cannot decrypt the backup: ${(err as Error).message} (wrong identity or passphrase?)`, { cause: err });
    }
    for await (const chunk of out) yield chunk;
  };
}

/** Parses an age identity file: one AGE-SECRET-KEY-... per line, `#` comments ignored. */
export function parseIdentityFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
}
