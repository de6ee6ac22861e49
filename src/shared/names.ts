import { NAME_PATTERN } from "./schema.js";

/** A valid entity name made from free text ("My App DB" → "my-app-db"), or undefined. */
export function slugName(raw: string): string | undefined {
  const slug = raw
    .toLowerCase()
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .replace(/-+$/, "")
    .slice(0, 63)
    .replace(/[^a-z0-9]+$/, "");
  return NAME_PATTERN.test(slug) ? slug : undefined;
}

/** The first of `base`, `base-2`, `base-3`, … that `taken` does not contain. */
export function freeName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) {
    const suffix = `-${i}`;
    const candidate = `${base.slice(0, 63 - suffix.length)}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}
