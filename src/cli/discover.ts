import type { App } from "../app.js";
import type { Finding } from "../application/discover.js";
import { DockerError } from "../docker/errors.js";
import { renderTranslatable, type Translatable } from "../shared/translatable.js";
import { cliLocale } from "./messages.js";

interface DiscoverIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  signal: AbortSignal;
}

/**
 * `discover`: a numbered table of the database containers and named volumes the Docker Engine
 * shows (src/application/discover.ts); `discover --add <n|name>` tests one and saves it as a
 * source. Its words are in locales/<lang>/discover.ftl (the full bundles, like drills).
 * Exit status: 0 listed / added / already covered, 1 not added, Docker unreachable.
 */
export async function discover(app: App, add: string | undefined, io: DiscoverIo): Promise<number> {
  const locale = cliLocale(process.env);
  const t = (key: string, params?: Record<string, string | number>) => app.translate(locale, key, params);
  const say = (x: Translatable) => renderTranslatable(app.translate, locale, x);
  const out = (s: string) => io.stdout.write(s + "\n");
  try {
    const findings = await app.discovery.list();
    if (add === undefined) {
      if (findings.length === 0) out(t("discover-none"));
      else printTable(findings, t, say, out);
      return 0;
    }
    const finding = pick(findings, add);
    if (!finding) {
      io.stderr.write(t("discover-cli-no-such", { which: add }) + "\n");
      return 1;
    }
    const result = await app.discovery.add(finding.ref, io.signal);
    switch (result.kind) {
      case "added":
        out(t("discover-added", { name: result.source.name, kind: result.source.kind }));
        if (result.serverVersion) out(t("discover-added-version", { version: result.serverVersion }));
        return 0;
      case "covered":
        out(t("discover-already-covered", { source: result.source }));
        return 0;
      case "gone":
        io.stderr.write(t("discover-gone") + "\n");
        return 1;
      case "failed":
        io.stderr.write(t("discover-failed", { reason: say(result.reason) }) + "\n");
        return 1;
    }
  } catch (err) {
    if (!(err instanceof DockerError)) throw err;
    io.stderr.write(t(err.unreachable ? "discover-docker-unreachable" : "discover-docker-failed", { reason: err.message }) + "\n");
    return 1;
  }
}

/** By number in the table (1-based), else by suggested name, Compose label or ref. */
function pick(findings: Finding[], which: string): Finding | undefined {
  if (/^\d+$/.test(which)) return findings[Number(which) - 1];
  return findings.find((f) => f.suggestedName === which || f.label === which || f.ref === which || f.target === which);
}

function printTable(findings: Finding[], t: (key: string, params?: Record<string, string | number>) => string, say: (x: Translatable) => string, out: (s: string) => void): void {
  const rows = findings.map((f, i) => [
    String(i + 1),
    f.kind,
    f.label,
    f.target,
    f.coveredBy ? t("discover-cli-covered", { source: f.coveredBy }) : f.problem ? `⚠ ${say(f.problem)}` : t("discover-cli-new", { name: f.suggestedName }),
  ]);
  const header = [t("discover-cli-col-n"), t("discover-cli-col-kind"), t("discover-cli-col-what"), t("discover-cli-col-target"), t("discover-cli-col-state")];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  ");
  out(line(header));
  for (const r of rows) out(line(r));
  out("");
  out(t("discover-cli-hint"));
}
