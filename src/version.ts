import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** This program's version, from package.json (found from both src/ and dist/). */
export const VERSION: string = (() => {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../package.json");
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
})();
