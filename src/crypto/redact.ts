import type { TranslatableParam } from "../shared/translatable.js";

/** Replaces every occurrence of each secret in `text` with `***`. Empty and very short secrets are ignored. */
export function redact(text: string, secrets: Iterable<string | null | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (!s || s.length < 3) continue;
    out = out.split(s).join("***");
  }
  return out;
}

/** `redact` through translatable params, nested keys included (numbers pass as they are). */
export function redactParams(params: Record<string, TranslatableParam>, secrets: string[]): Record<string, TranslatableParam> {
  const out: Record<string, TranslatableParam> = {};
  for (const [name, value] of Object.entries(params)) {
    out[name] = typeof value === "string" ? redact(value, secrets) : typeof value === "number" ? value : { key: value.key, ...(value.params ? { params: redactParams(value.params, secrets) } : {}) };
  }
  return out;
}
