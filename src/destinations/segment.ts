/**
 * Whether `name` is one of the files a run stores for the payload `fileName`: a part
 * (`<fileName>.001`, …) or its manifest. `<fileName>.age.001` of another run is not.
 */
export function isRunFile(fileName: string, name: string): boolean {
  if (name === `${fileName}.manifest.json`) return true;
  return name.startsWith(`${fileName}.`) && /^\d{3,}$/.test(name.slice(fileName.length + 1));
}

/** A name safe as one path segment or key segment: no separators, no leading dots. */
export function safeSegment(name: string): string {
  return name.replace(/[/\\]/g, "_").replace(/^\.+/, "_");
}
