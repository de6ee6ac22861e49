/** A name safe as one path segment or key segment: no separators, no leading dots. */
export function safeSegment(name: string): string {
  return name.replace(/[/\\]/g, "_").replace(/^\.+/, "_");
}
