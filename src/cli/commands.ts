import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { App } from "../app.js";
import { parseIdentityFile } from "../engine/stages/encrypt.js";
import { ValidationError } from "../services/errors.js";
import { formatBytes, formatDuration } from "./format.js";
import { progressLine } from "./progress-line.js";

export class UsageError extends Error {
  override name = "UsageError";
}

export const USAGE = `Usage: tele-backup <command> [options]

Commands:
  run                                    apply migrations, then run the bot and the scheduler (npm start)
  health                                 exit 0 while the scheduler's heartbeat is fresh (Docker HEALTHCHECK)
  backup <job> [--json]                  run one job now, print the result (exit 0 on success, 1 on failure)
  restore <run-id> --to <source>         verify a run's parts, then load it into a source
  restore <run-id> --file <path>         verify a run's parts, then write the plain dump to a new file
      [--identity <file>]                age identity file for runs encrypted to recipients
  verify <run-id>                        download every stored part of a run and check its sha256
  config export [file] [--with-secrets]  write all sources, destinations and jobs as YAML
  config import <file>                   validate and upsert sources, destinations and jobs from YAML
  migrate                                apply database migrations and exit
  help                                   show this text

Environment: see README.md (ADMIN_IDS, MASTER_KEY, DATA_DIR, ... are read by every command).
`;

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
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  signal: AbortSignal;
}

/** Runs a parsed command; returns the exit code. Errors with a user-facing message are thrown. */
export async function runCommand(app: App, command: Exclude<Command, { name: "run" | "health" }>, io: CommandIo): Promise<number> {
  const out = (s: string) => io.stdout.write(s + "\n");
  switch (command.name) {
    case "help":
      io.stdout.write(USAGE);
      return 0;

    case "migrate":
      out(`database is up to date: ${app.config.dbPath}`);
      return 0;

    case "backup": {
      const progress = progressLine(io.stderr);
      const result = await app.executor.execute(command.job, "cli", {
        signal: io.signal,
        onProgress: (p) => progress.update(p.phase, p.payloadBytes, p.phase === "uploading" ? `part ${p.currentPart}` : undefined),
      });
      progress.done();
      if (command.json) {
        out(JSON.stringify(result, null, 2));
      } else {
        out(`run ${result.runId}: ${result.status}`);
        out(`job:      ${result.job}`);
        if (result.status === "success") {
          out(`file:     ${result.fileName} (${result.parts} part${result.parts === 1 ? "" : "s"})`);
          out(`size:     ${formatBytes(result.payloadSize)} (${formatBytes(result.rawSize)} before compression)`);
          out(`sha256:   ${result.sha256}`);
          out(`verified: ${result.verified ? "yes" : "no"}`);
        } else {
          out(`error:    ${result.error}`);
        }
        out(`duration: ${formatDuration(result.durationMs)}`);
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
        onProgress: (p) => progress.update(p.phase, p.bytes),
      });
      progress.done();
      out(`run ${command.runId} restored into ${target.kind === "file" ? target.path : `source "${target.name}"`} (${formatBytes(bytes)} payload, every part's sha256 checked)`);
      return 0;
    }

    case "verify": {
      const report = await app.restorer.verify(command.runId, io.signal);
      if (report.ok) {
        out(`run ${command.runId}: ok — ${report.checked} stored file${report.checked === 1 ? "" : "s"} downloaded, every sha256 matches`);
        return 0;
      }
      out(`run ${command.runId}: FAILED`);
      for (const p of report.problems) out(`  ${p}`);
      return 1;
    }

    case "config-export": {
      const yaml = app.configIo.export({ withSecrets: command.withSecrets });
      if (command.file) {
        await writeFile(command.file, yaml, { mode: command.withSecrets ? 0o600 : 0o644 });
        out(`configuration written to ${command.file}${command.withSecrets ? " (with secrets: keep it safe)" : ""}`);
      } else {
        io.stdout.write(yaml);
      }
      return 0;
    }

    case "config-import": {
      const text = await readFile(command.file, "utf8");
      try {
        const summary = await app.configIo.import(text);
        out(`imported ${command.file}: ${JSON.stringify(summary)}`);
        return 0;
      } catch (err) {
        if (err instanceof ValidationError) {
          io.stderr.write(`${command.file}: ${err.issues.length} error${err.issues.length === 1 ? "" : "s"}, nothing was changed\n`);
          for (const issue of err.issues) io.stderr.write(`  ${issue.path}: ${issue.message}\n`);
          return 1;
        }
        throw err;
      }
    }
  }
}
