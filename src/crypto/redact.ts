/** Replaces every occurrence of each secret in `text` with `***`. Empty and very short secrets are ignored. */
export function redact(text: string, secrets: Iterable<string | null | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (!s || s.length < 3) continue;
    out = out.split(s).join("***");
  }
  return out;
}
