import { generateIdentity, identityToRecipient } from "age-encryption";
import { describe, expect, it } from "vitest";
import { isAgeRecipient } from "./bech32.js";

describe("age recipient validation", () => {
  it("accepts real recipients and rejects typos, secret keys and other strings", async () => {
    for (let i = 0; i < 5; i++) {
      const recipient = await identityToRecipient(await generateIdentity());
      expect(isAgeRecipient(recipient)).toBe(true);
      // one changed character breaks the checksum
      const last = recipient.at(-1) === "q" ? "p" : "q";
      expect(isAgeRecipient(recipient.slice(0, -1) + last)).toBe(false);
      expect(isAgeRecipient(recipient.toUpperCase())).toBe(false);
      expect(isAgeRecipient(recipient.slice(0, -2))).toBe(false);
    }
    expect(isAgeRecipient("age1")).toBe(false);
    expect(isAgeRecipient("ssh-ed25519 AAAA")).toBe(false);
    expect(isAgeRecipient((await generateIdentity()).toLowerCase())).toBe(false);
  });
});
