/**
 * Bech32 (BIP 173) checksum verification, enough to validate age recipients without loading
 * the age library. Recipients are `age1…` (X25519, 32-byte key) or the newer `age1pq1…`,
 * `age1tag1…` forms, whose human-readable part starts with "age" too.
 */
const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i]!;
  }
  return chk >>> 0;
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (const c of hrp) out.push(c.charCodeAt(0) >> 5);
  out.push(0);
  for (const c of hrp) out.push(c.charCodeAt(0) & 31);
  return out;
}

/** Splits and verifies a lowercase bech32 string; null when malformed or the checksum fails. */
export function bech32Decode(text: string): { hrp: string; words: number[] } | null {
  if (text !== text.toLowerCase()) return null;
  const sep = text.lastIndexOf("1");
  if (sep < 1 || sep + 7 > text.length) return null;
  const hrp = text.slice(0, sep);
  const words: number[] = [];
  for (const c of text.slice(sep + 1)) {
    const v = CHARSET.indexOf(c);
    if (v < 0) return null;
    words.push(v);
  }
  if (polymod([...hrpExpand(hrp), ...words]) !== 1) return null;
  return { hrp, words: words.slice(0, -6) };
}

export function isAgeRecipient(value: string): boolean {
  const decoded = bech32Decode(value);
  if (!decoded || !["age", "age1pq", "age1tag", "age1tagpq"].includes(decoded.hrp)) return false;
  // X25519: 32 bytes = 52 five-bit words (the last one padded).
  if (decoded.hrp === "age") return decoded.words.length === 52;
  return decoded.words.length > 0;
}
