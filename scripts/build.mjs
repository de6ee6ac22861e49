/**
 * `npm run build`: the command line and daemon as an ES module bundle, dist/main.js and a few
 * chunks in dist/chunks/.
 *
 * Why a bundle: a command starts by loading the application, and loaded as separate modules
 * (about 300 of ours and drizzle-orm's) that took longer than any other part of start-up here.
 * A few large files are read, parsed and linked at once. Type checking is `npm run typecheck`.
 *
 * Left outside and loaded from node_modules at run time: better-sqlite3 (a native addon),
 * pino (starts worker threads from its own files), grammy and its plugins (half the size of
 * the rest, and only the bot's `run` loads them), and every package the code loads with
 * lazyRequire (grammy, dockerode, yaml, tar-stream, …), which the bundler does not follow.
 * Paths to shipped files (locales/, drizzle/, package.json) are found from package.json up
 * the tree (src/shared/package-root.ts), so they hold for the bundle as for src/.
 */
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { launcherLines } from "./launcher.mjs";

/** Loaded from node_modules (see above); grammy and its plugins are the bot's, loaded by `run` only. */
const EXTERNAL = ["better-sqlite3", "pino", "dockerode", "grammy", "@grammyjs/*"];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** `node scripts/build.mjs [outdir]`: dist/ unless a folder is given (a test builds its own). */
const outdir = path.resolve(root, process.argv[2] ?? "dist");
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, "src/main.ts")],
  outdir,
  // The dynamic imports main.ts starts with (the key derivation first, the application while
  // it runs, the bot for `run` only) stay separate chunks, loaded when imported.
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: EXTERNAL,
  // For the CommonJS packages inside (their require of Node's own modules).
  banner: { js: 'import { createRequire as __createRequire } from "node:module";\nconst require = __createRequire(import.meta.url);' },
  // Stack traces name src/ files when Node runs with --enable-source-maps.
  sourcemap: "linked",
  sourcesContent: false,
  legalComments: "linked",
  logLevel: "warning",
});

// The command's first two lines: how it starts node (scripts/launcher.mjs). Its source map's
// lines move down with the code (a `;` in `mappings` is one line of the output).
const main = path.join(outdir, "main.js");
const lines = launcherLines();
writeFileSync(main, lines + readFileSync(main, "utf8"));
chmodSync(main, 0o755);
const map = JSON.parse(readFileSync(`${main}.map`, "utf8"));
map.mappings = ";".repeat(lines.split("\n").length - 1) + map.mappings;
writeFileSync(`${main}.map`, JSON.stringify(map));
