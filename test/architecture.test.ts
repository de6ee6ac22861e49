import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findLayerViolations, importsOf, placeOf, readSourceTree } from "../scripts/check-layers.js";

const repo = path.resolve(import.meta.dirname, "..");
const src = path.join(repo, "src");

describe("one direction of dependencies (ARCHITECTURE.md)", () => {
  it("every src file belongs to a layer and every import points down", () => {
    const files = readSourceTree(src);
    expect(files.length).toBeGreaterThan(100);
    expect(findLayerViolations(files).map((v) => v.message)).toEqual([]);
  });

  it("places files by their most specific path", () => {
    expect(placeOf("shared/format.ts")?.module).toBe("shared/");
    expect(placeOf("sources/port.ts")?.module).toBe("sources/port.ts");
    expect(placeOf("sources/postgres.ts")?.module).toBe("sources/");
    expect(placeOf("notify/port.ts")?.layer).toBe(placeOf("engine/backup-runner.ts")?.layer);
    expect(placeOf("application/job-executor.ts")!.layer).toBeGreaterThan(placeOf("services/jobs.service.ts")!.layer);
    expect(placeOf("services/jobs.service.ts")!.layer).toBeGreaterThan(placeOf("engine/backup-runner.ts")!.layer);
    expect(placeOf("nowhere/x.ts")).toBeNull();
  });

  it("reads every kind of import and none inside strings or comments", () => {
    const text = [
      'import type { A } from "./a.js";',
      'import b, { c } from "./b.js";',
      'import "./side-effect.js";',
      'export * from "./all.js";',
      'export { d } from "./d.js";',
      'const e = lazy(() => import("./e.js"));',
      '// import { f } from "./commented.js";',
      'const g = "src/**/*.ts"; const h = /"/;',
      'const i = `import { j } from "./template.js"`;',
    ].join("\n");
    expect(importsOf("x.ts", text).sort()).toEqual(["./a.js", "./all.js", "./b.js", "./d.js", "./e.js", "./side-effect.js"]);
  });

  it("fails on planted uphill imports, peer imports, queries outside the repositories and unplaced files", () => {
    const violations = findLayerViolations([
      { path: "engine/planted.ts", text: 'import type { JobsService } from "../services/jobs.service.js";' },
      { path: "domain.ts", text: 'export type { RunRow } from "./db/schema.js";' },
      { path: "crypto/planted.ts", text: 'const repo = lazy(() => import("../repos/settings.repo.js"));' },
      { path: "bot/planted.ts", text: 'import { runCli } from "../cli/commands.js";' },
      { path: "sources/planted.ts", text: 'import { createLocalDestination } from "../destinations/local.js";' },
      { path: "bot/storage-planted.ts", text: 'import { eq } from "drizzle-orm";' },
      { path: "shared/planted.ts", text: 'import x from "../../test/helpers/workspace.js";' },
      { path: "engine/computed.ts", text: "const m = await import(name);" },
      { path: "attic/old.ts", text: "" },
      // Downhill, sideways inside a layer and packages are fine.
      { path: "application/fine.ts", text: 'import { JobsService } from "../services/jobs.service.js";\nimport { x } from "../lifecycle/heartbeat.js";' },
      { path: "bot/fine.ts", text: 'import { y } from "./helpers.js";\nimport { Bot } from "grammy";\nimport { z } from "../repos/runs.repo.js";' },
      { path: "docker/fine.ts", text: 'import type { SourceConfig } from "../sources/port.js";' },
    ]);
    expect(violations.map((v) => v.message)).toEqual([
      "engine/planted.ts (engine) imports services/jobs.service.ts (services): uphill",
      "domain.ts (domain) imports db/schema.ts (storage): uphill",
      "crypto/planted.ts (infra) imports repos/settings.repo.ts (storage): uphill",
      "bot/planted.ts imports cli/commands.ts: bot/ and cli/ are peers in interfaces",
      "sources/planted.ts imports destinations/local.ts: sources/ and destinations/ are peers in adapters",
      "bot/storage-planted.ts imports drizzle-orm: only the storage layer may",
      "shared/planted.ts imports ../../test/helpers/workspace.js, outside the source root",
      "engine/computed.ts: a computed import cannot be checked: <computed: name>",
      "attic/old.ts belongs to no layer: add its folder to LAYERS in scripts/check-layers.ts",
    ]);
  });

  it("runs in CI: the lint includes it and .ci/run runs the README's test command, lint first", () => {
    const scripts = (JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    const lint = scripts.lint!.split("&&").map((s) => s.trim());
    expect(lint).toEqual(["npm run typecheck", "npm run lint:code", "npm run lint:unused", "npm run lint:layers"]);
    expect(scripts["lint:layers"]).toBe("tsx scripts/check-layers.ts");

    const readme = readFileSync(path.join(repo, "README.md"), "utf8");
    const testsSection = readme.slice(readme.indexOf("\n## Tests\n"));
    const command = /```bash\n(.+)\n```/.exec(testsSection)?.[1];
    expect(command).toBe("npm run lint && npm test");
    const ci = readFileSync(path.join(repo, ".ci", "run"), "utf8").trimEnd().split("\n");
    expect(ci.at(-1)).toBe(command);
  });

  describe("scripts/check-layers.ts as a command", () => {
    const dirs: string[] = [];
    afterAll(() => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });
    const run = (root: string) =>
      spawnSync(path.join(repo, "node_modules", ".bin", "tsx"), [path.join(repo, "scripts", "check-layers.ts"), root], { encoding: "utf8" });

    it("passes on a copy of src and exits 1 naming the import once one climbs", () => {
      const copy = mkdtempSync(path.join(tmpdir(), "layers-"));
      dirs.push(copy);
      cpSync(src, copy, { recursive: true });
      const clean = run(copy);
      expect(clean.stderr).toBe("");
      expect(clean.status).toBe(0);
      expect(clean.stdout).toMatch(/every import points down/);

      writeFileSync(path.join(copy, "engine", "planted.ts"), 'import { Bot } from "grammy";\nimport type { BotDeps } from "../bot/deps.js";\nexport type Planted = BotDeps | Bot;\n');
      const planted = run(copy);
      expect(planted.status).toBe(1);
      expect(planted.stderr).toContain("engine/planted.ts (engine) imports bot/deps.ts (interfaces): uphill");
      expect(planted.stderr).toContain("layering: 1 import(s) break ARCHITECTURE.md");
    });
  });
});
