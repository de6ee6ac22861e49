import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { App } from "../app.js";
import { parseIdentityFile } from "../engine/stages/encrypt.js";
import { ValidationError } from "../services/errors.js";
import { formatBytes, formatDuration } from "./format.js";
import type { CliText } from "./messages.js";
import { progressLine } from "./progress-line.js";

export class UsageError extends Error {
  override name = "UsageError";
}


export type Command =
  | { name: "help" }
  | { name: "run" }
  | { name: "health" }
  | { name: "migrate" }
  | { name: "backup"; job: string; json: boolean }
  | { name: "restore"; runId: number; to?: string; file?: string; identity?: string }
  | { name: "verify"; runId: number }
  | { name: "config-export"; file?: string; withSecrets: boolean }
  | { name: "config-import"; file: string };

export function parseCommand(argv: string[]): Command {
  const [name, ...rest] = argv;
  const parse = <O extends Record<string, { type: "string" | "boolean" }>>(options: O, positionals: number) => {
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument "${parsed.positionals[positionals]}"`);
    return parsed;
  };
  const runId = (v: string | undefined): number => {
    if (!v || !/^\d+$/.test(v)) throw new UsageError(`expected a run id (a number), got "${v ?? ""}"`);
    return Number(v);
  };
  switch (name) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      return { name: "help" };
    case "migrate":
      parse({}, 0);
      return { name: "migrate" };
    case "run":
      parse({}, 0);
      return { name: "run" };
    case "health":
      parse({}, 0);
      return { name: "health" };
    case "backup": {
      const { values, positionals } = parse({ json: { type: "boolean" } }, 1);
      if (!positionals[0]) throw new UsageError("backup needs a job name");
      return { name: "backup", job: positionals[0], json: Boolean(values.json) };
    }
    case "restore": {
      const { values, positionals } = parse({ to: { type: "string" }, file: { type: "string" }, identity: { type: "string" } }, 1);
      if (!values.to === !values.file) throw new UsageError("restore needs exactly one of --to <source> or --file <path>");
      return { name: "restore", runId: runId(positionals[0]), to: values.to, file: values.file, identity: values.identity };
    }
    case "verify": {
      const { positionals } = parse({}, 1);
      return { name: "verify", runId: runId(positionals[0]) };
    }
    case "config": {
      const [sub, ...subRest] = rest;
      rest.splice(0, rest.length, ...subRest);
      if (sub === "export") {
        const { values, positionals } = parse({ "with-secrets": { type: "boolean" } }, 1);
        return { name: "config-export", file: positionals[0], withSecrets: Boolean(values["with-secrets"]) };
      }
      if (sub === "import") {
        const { positionals } = parse({}, 1);
        if (!positionals[0]) throw new UsageError("config import needs a YAML file");
        return { name: "config-import", file: positionals[0] };
      }
      throw new UsageError(`unknown config command "${sub ?? ""}" (use export or import)`);
    }
    default:
      throw new UsageError(`unknown command "${name}"`);
  }
}

export interface CommandIo {
  text: CliText;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  signal: AbortSignal;
}

/** Runs a parsed command; returns the exit code. Errors with a user-facing message are thrown. */
export async function runCommand(app: App, command: Exclude<Command, { name: "run" | "health" }>, io: CommandIo): Promise<number> {
  const out = (s: string) => io.stdout.write(s + "\n");
  const t = io.text;
  switch (command.name) {
    case "help":
      io.stdout.write(t("cli-usage") + "\n");
      return 0;

    case "migrate":
      out(t("cli-migrated", { path: app.config.dbPath }));
      return 0;

    case "backup": {
      const progress = progressLine(io.stderr);
      const result = await app.executor.execute(command.job, "cli", {
        signal: io.signal,
        onProgress: (p) => progress.update(t(`cli-phase-${p.phase}`, { part: p.currentPart ?? 0 }), p.payloadBytes),
      });
      progress.done();
      if (command.json) {
        out(JSON.stringify(result, null, 2));
      } else {
        out(t("cli-run-status", { run: result.runId, status: result.status }));
        out(t("cli-run-job", { job: result.job }));
        if (result.status === "success") {
          out(t("cli-run-file", { file: result.fileName, parts: result.parts }));
          out(t("cli-run-size", { size: formatBytes(result.payloadSize), raw: formatBytes(result.rawSize) }));
          out(t("cli-run-sha", { sha: result.sha256 ?? "" }));
          out(t("cli-run-verified", { verified: result.verified ? "yes" : "no" }));
        } else {
          out(t("cli-run-error", { error: result.error ?? "" }));
        }
        out(t("cli-run-duration", { duration: formatDuration(result.durationMs) }));
      }
      return result.status === "success" ? 0 : 1;
    }

    case "restore": {
      const identities = command.identity ? parseIdentityFile(await readFile(command.identity, "utf8")) : undefined;
      const run = app.runs.get(command.runId);
      const passphrase = run?.encryption === "passphrase" && run.jobId != null ? await app.jobs.passphraseFor(run.jobId) : undefined;
      const target = command.to
        ? { kind: "source" as const, ...(await app.sources.resolve(command.to)) }
        : { kind: "file" as const, path: command.file! };
      const progress = progressLine(io.stderr);
      const { bytes } = await app.restorer.restore(command.runId, target, {
        identities,
        passphrase,
        signal: io.signal,
        onProgress: (p) => progress.update(t(`cli-phase-${p.phase}`), p.bytes),
      });
      progress.done();
      const key = target.kind === "file" ? "cli-restored-file" : "cli-restored-source";
      out(t(key, { run: command.runId, target: target.kind === "file" ? target.path : target.name, size: formatBytes(bytes) }));
      return 0;
    }

    case "verify": {
      const report = await app.restorer.verify(command.runId, io.signal);
      if (report.ok) {
        out(t("cli-verify-ok", { run: command.runId, count: report.checked }));
        return 0;
      }
      out(t("cli-verify-failed", { run: command.runId }));
      for (const p of report.problems) out(`  ${p}`);
      return 1;
    }

    case "config-export": {
      const yaml = app.configIo.export({ withSecrets: command.withSecrets });
      if (command.file) {
        await writeFile(command.file, yaml, { mode: command.withSecrets ? 0o600 : 0o644 });
        out(t(command.withSecrets ? "cli-exported-secrets" : "cli-exported", { file: command.file }));
      } else {
        io.stdout.write(yaml);
      }
      return 0;
    }

    case "config-import": {
      const text = await readFile(command.file, "utf8");
      try {
        const summary = await app.configIo.import(text);
        out(t("cli-imported", { file: command.file, summary: JSON.stringify(summary) }));
        return 0;
      } catch (err) {
        if (err instanceof ValidationError) {
          io.stderr.write(t("cli-import-invalid", { file: command.file, count: err.issues.length }) + "\n");
          for (const issue of err.issues) io.stderr.write(`  ${issue.path}: ${issue.message}\n`);
          return 1;
        }
        throw err;
      }
    }
  }
}
