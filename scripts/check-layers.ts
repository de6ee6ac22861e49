/**
 * The layering check (ARCHITECTURE.md): every import under `src/` must point to its own layer
 * or a lower one. Run as `tsx scripts/check-layers.ts [dir]` (default `src`, part of
 * `npm run lint`); exits 1 and names every uphill import. test/architecture.test.ts runs the
 * same rules on the tree and on planted imports.
 *
 * Imports are read with a real parser (oxc, through Vite's `parseSync`), so `import type`,
 * `export … from`, side-effect imports and dynamic `import()` (inside `lazy(() => import(…))`
 * too) all count, and nothing inside strings or comments does.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseSync } from "vite";

interface Layer {
  name: string;
  /** What the layer is for: the one rule a file in it follows. */
  rule: string;
  /** Path prefixes relative to the source root: `dir/` for a folder, `file.ts` for one file. */
  paths: string[];
  /** Modules of this layer (its paths) may not import each other: the bot and the CLI are peers, so are sources and destinations. */
  isolated?: boolean;
}

/** Bottom to top: a file may import its own layer and the layers listed before it. */
export const LAYERS: readonly Layer[] = [
  {
    name: "shared",
    rule: "pure helpers and process-wide plumbing; imports nothing of ours above it",
    paths: ["shared/", "lazy.ts", "version.ts", "logger.ts", "i18n.ts"],
  },
  {
    name: "domain",
    rule: "types, ports and the clock the rest agree on; no I/O",
    paths: ["domain.ts", "domain/", "sources/port.ts", "destinations/port.ts", "scheduler/clock.ts"],
  },
  {
    name: "infra",
    rule: "talks to one outside system (secretbox, environment, Bot API, Docker Engine); its folders never import each other",
    paths: ["crypto/", "config/", "telegram/", "docker/"],
    isolated: true,
  },
  {
    name: "storage",
    rule: "the database: schema, migrations and the repositories that alone run queries",
    paths: ["db/", "repos/"],
  },
  {
    name: "adapters",
    rule: "one source or destination kind each, behind its port; sources and destinations never import each other",
    paths: ["sources/", "destinations/"],
    isolated: true,
  },
  {
    name: "engine",
    rule: "backup and restore mechanics over ports and repositories, handed resolved jobs; knows no configuration rules",
    // The Notifier port speaks of the engine's results (RunResult, ClockSkew), so it sits with them.
    paths: ["engine/", "notify/port.ts"],
  },
  {
    name: "services",
    rule: "configuration rules (validate, decide, resolve secrets) over the repositories",
    paths: ["services/"],
  },
  {
    name: "application",
    rule: "use cases that combine the services and the engine (run a job, recover, watch), and the loops that drive them",
    paths: ["application/", "lifecycle/", "scheduler/", "notify/"],
  },
  {
    name: "composition",
    rule: "builds every object once, in dependency order",
    paths: ["app.ts"],
  },
  {
    name: "interfaces",
    rule: "translate between people and the application; the bot and the CLI never import each other",
    paths: ["bot/", "cli/"],
    isolated: true,
  },
  {
    name: "process",
    rule: "starts and stops the process",
    paths: ["daemon.ts", "main.ts"],
  },
];

/** Packages only one layer may import: queries live in the repositories and nowhere else. */
export const PACKAGE_HOMES: Readonly<Record<string, string>> = { "drizzle-orm": "storage" };

export interface Placement {
  layer: number;
  /** The most specific path of LAYERS that holds the file. */
  module: string;
}

/** The layer of a file given relative to the source root (`engine/pruner.ts`), or null when no layer claims it. */
export function placeOf(file: string): Placement | null {
  let best: Placement | null = null;
  for (const [index, layer] of LAYERS.entries()) {
    for (const p of layer.paths) {
      const hit = p.endsWith("/") ? file.startsWith(p) : file === p;
      if (hit && (!best || p.length > best.module.length)) best = { layer: index, module: p };
    }
  }
  return best;
}

/** Every module specifier a TypeScript file imports or re-exports, static and dynamic. */
export function importsOf(fileName: string, text: string): string[] {
  const { module, errors } = parseSync(fileName, text, { lang: "ts", sourceType: "module" });
  if (errors.length > 0) throw new Error(`${fileName}: cannot parse: ${errors[0]?.message}`);
  const out = module.staticImports.map((i) => i.moduleRequest.value);
  for (const e of module.staticExports) for (const entry of e.entries) if (entry.moduleRequest) out.push(entry.moduleRequest.value);
  for (const d of module.dynamicImports) {
    const literal = /^(["'`])([^"'`$]*)\1$/.exec(text.slice(d.moduleRequest.start, d.moduleRequest.end));
    // A computed specifier cannot be placed: it is reported rather than trusted.
    out.push(literal?.[2] ?? `<computed: ${text.slice(d.moduleRequest.start, d.moduleRequest.end)}>`);
  }
  return out;
}

export interface SourceFile {
  /** Relative to the source root, with forward slashes: `engine/pruner.ts`. */
  path: string;
  text: string;
}

export interface Violation {
  file: string;
  specifier: string;
  message: string;
}

/**
 * Every import that climbs a layer, crosses between isolated peers, leaves the root, lands
 * nowhere, or takes a package that belongs to another layer (PACKAGE_HOMES).
 */
export function findLayerViolations(files: readonly SourceFile[]): Violation[] {
  const out: Violation[] = [];
  for (const file of files) {
    const from = placeOf(file.path);
    if (!from) {
      out.push({ file: file.path, specifier: "", message: `${file.path} belongs to no layer: add its folder to LAYERS in scripts/check-layers.ts` });
      continue;
    }
    for (const specifier of importsOf(file.path, file.text)) {
      if (specifier.startsWith("<computed")) {
        out.push({ file: file.path, specifier, message: `${file.path}: a computed import cannot be checked: ${specifier}` });
        continue;
      }
      if (!specifier.startsWith(".")) {
        const pkg = specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
        const home = PACKAGE_HOMES[pkg];
        if (home && LAYERS[from.layer]!.name !== home) out.push({ file: file.path, specifier, message: `${file.path} imports ${specifier}: only the ${home} layer may` });
        continue;
      }
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file.path), specifier)).replace(/\.js$/, ".ts");
      if (target.startsWith("../")) {
        out.push({ file: file.path, specifier, message: `${file.path} imports ${specifier}, outside the source root` });
        continue;
      }
      const to = placeOf(target);
      if (!to) continue; // reported once, as the imported file itself
      const fromLayer = LAYERS[from.layer]!;
      const toLayer = LAYERS[to.layer]!;
      if (to.layer > from.layer) {
        out.push({ file: file.path, specifier, message: `${file.path} (${fromLayer.name}) imports ${target} (${toLayer.name}): uphill` });
      } else if (to.layer === from.layer && fromLayer.isolated && to.module !== from.module) {
        out.push({ file: file.path, specifier, message: `${file.path} imports ${target}: ${from.module} and ${to.module} are peers in ${fromLayer.name}` });
      }
    }
  }
  return out;
}

/** The non-test TypeScript files under `root`, relative to it. */
export function readSourceTree(root: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) {
        out.push({ path: path.relative(root, full).split(path.sep).join("/"), text: readFileSync(full, "utf8") });
      }
    }
  };
  walk(root);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "src");
  const files = readSourceTree(root);
  const violations = findLayerViolations(files);
  for (const v of violations) console.error(v.message);
  if (violations.length > 0) {
    console.error(`layering: ${violations.length} import(s) break ARCHITECTURE.md`);
    process.exit(1);
  }
  console.log(`layering: ${files.length} files, every import points down`);
}
