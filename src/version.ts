import { readFileSync } from "node:fs";
import { packageFile } from "./shared/package-root.js";

/** This program's version, from package.json. */
export const VERSION: string = (() => {
  const file = packageFile("package.json");
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
})();
