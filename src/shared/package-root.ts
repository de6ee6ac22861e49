import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A path inside the installed package (beside package.json): locales/, drizzle/, package.json.
 * Found by walking up from this module's file, so it holds wherever the code runs from: src/
 * under tsx and in tests, or a build's bundle in dist/ and dist/chunks/ (scripts/build.mjs).
 */
export function packageFile(...segments: string[]): string {
  return path.join(packageRoot(), ...segments);
}

let root: string | undefined;

function packageRoot(): string {
  if (root) return root;
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return (root = dir);
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}
