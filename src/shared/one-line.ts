/**
 * An error's message (or any text) as one line for a user-facing message: whitespace collapsed.
 * Longer than `max`, it keeps its end, where tools put the error (a stderr tail).
 */
export function oneLine(value: unknown, max = Infinity): string {
  const text = value instanceof Error ? value.message : typeof value === "string" ? value : String(value);
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `…${flat.slice(flat.length - max)}`;
}
