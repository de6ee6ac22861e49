import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../db/client.js";
import { SettingsRepo } from "../repos/settings.repo.js";
import { peekSettings } from "../db/peek-settings.js";
import { deriveEarly, KEY_SETTINGS, LEGACY_KDF } from "./kdf.js";
import { openSecretBox } from "./open-secret-box.js";
import { SecretBox, WrongMasterKeyError } from "./secret-box.js";

describe("secret box", () => {
  it("round-trips a secret and never stores plaintext", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tb-sb-"));
    const db = openDatabase(path.join(dir, "db.sqlite"));
    const box = await openSecretBox(new SettingsRepo(db), "correct horse battery staple");
    const ct = box.encrypt("s3cr3t-Pässword");
    expect(ct).not.toContain("s3cr3t");
    expect(box.decrypt(ct)).toBe("s3cr3t-Pässword");
    expect(box.encrypt("x")).not.toBe(box.encrypt("x"));
    db.$client.close();
  });

  it("refuses a wrong MASTER_KEY for an existing database", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tb-sb-"));
    const file = path.join(dir, "db.sqlite");
    const db = openDatabase(file);
    await openSecretBox(new SettingsRepo(db), "the first master key");
    db.$client.close();
    const again = openDatabase(file);
    await expect(openSecretBox(new SettingsRepo(again), "a different master key")).rejects.toBeInstanceOf(WrongMasterKeyError);
    await expect(openSecretBox(new SettingsRepo(again), "a different master key")).rejects.toThrow(/MASTER_KEY does not match/);
    // the right key still opens it
    await expect(openSecretBox(new SettingsRepo(again), "the first master key")).resolves.toBeDefined();
    again.$client.close();
    expect(readFileSync(file).includes(Buffer.from("the first master key"))).toBe(false);
  });

  it("uses a key derived early (before the database was opened) only when it came from the salt stored now", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tb-sb-"));
    const file = path.join(dir, "db.sqlite");
    expect(peekSettings(file, KEY_SETTINGS)).toBeNull(); // no database yet: nothing to start from
    const db = openDatabase(file);
    const box = await openSecretBox(new SettingsRepo(db), "the master key of this database");
    const secret = box.encrypt("pg password");
    db.$client.close();

    const stored = peekSettings(file, KEY_SETTINGS);
    expect(Object.keys(stored ?? {}).sort()).toEqual([...KEY_SETTINGS].sort());
    const again = openDatabase(file);
    // Derived from what is stored: the box opens with it and reads what the first box wrote.
    const early = deriveEarly(stored, "the master key of this database")!;
    expect((await openSecretBox(new SettingsRepo(again), "the master key of this database", early)).decrypt(secret)).toBe("pg password");
    // An early key from another MASTER_KEY is checked like any other: refused, never used.
    const wrong = deriveEarly(stored, "another master key")!;
    await expect(openSecretBox(new SettingsRepo(again), "the master key of this database", wrong)).rejects.toBeInstanceOf(WrongMasterKeyError);
    // Started from a salt the database no longer holds: ignored, the key is derived again.
    const stale = deriveEarly({ ...stored, "crypto.salt": Buffer.from(SecretBox.newSalt()).toString("base64") }, "the master key of this database")!;
    stale.key = Promise.resolve(Buffer.alloc(32)); // would fail the check if it were used
    expect((await openSecretBox(new SettingsRepo(again), "the master key of this database", stale)).decrypt(secret)).toBe("pg password");
    again.$client.close();
  });

  it("still opens a database made before the key-derivation parameters were stored (scrypt N=2^14)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tb-sb-"));
    const db = openDatabase(path.join(dir, "db.sqlite"));
    const settings = new SettingsRepo(db);
    // What the first databases hold: a salt and a check made with N=2^14, and no parameters.
    const salt = SecretBox.newSalt();
    const old = await SecretBox.create("an old but long master key 0123456789", salt, LEGACY_KDF);
    settings.set("crypto.salt", Buffer.from(salt).toString("base64"));
    settings.set("crypto.check", old.makeCheck());
    const stored = old.encrypt("db-password");
    const box = await openSecretBox(settings, "an old but long master key 0123456789");
    expect(box.decrypt(stored)).toBe("db-password");
    expect(settings.get("crypto.kdf")).toBeNull();
    await expect(openSecretBox(settings, "another long master key 0123456789ab")).rejects.toBeInstanceOf(WrongMasterKeyError);
    db.$client.close();
  });

  it("binds a new database to N=2^16 and records it beside the salt", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tb-sb-"));
    const db = openDatabase(path.join(dir, "db.sqlite"));
    const settings = new SettingsRepo(db);
    await openSecretBox(settings, "a new long master key 0123456789abc");
    expect(JSON.parse(settings.get("crypto.kdf")!)).toEqual({ N: 2 ** 16, r: 8, p: 1 });
    db.$client.close();
  });
  it("reads the values earlier versions stored with libsodium's crypto_secretbox_easy, and refuses an altered one", async () => {
    // Made by libsodium-wrappers 0.8 (crypto_secretbox_easy) with this key and nonce 200, 199, …
    const stored = "sb1:yMfGxcTDwsHAv769vLu6ubi3trW0s7KxvmzJ5alboskKZnjJdsKbgbI5j4tH6eTCgW8H3kWWGyTDvps43xs=";
    const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 1));
    const box = await SecretBox.create("unused", SecretBox.newSalt(), LEGACY_KDF, Promise.resolve(key));
    expect(box.decrypt(stored)).toBe("pässwörd-🔑 secret");
    const raw = Buffer.from(stored.slice(4), "base64");
    raw[raw.length - 1]! ^= 1;
    expect(() => box.decrypt("sb1:" + raw.toString("base64"))).toThrow();
    expect(() => box.decrypt("sb1:" + raw.subarray(0, 30).toString("base64"))).toThrow(/not a secretbox value/);
    const other = await SecretBox.create("unused", SecretBox.newSalt(), LEGACY_KDF, Promise.resolve(Buffer.alloc(32, 9)));
    expect(() => other.decrypt(stored)).toThrow();
  });
});
