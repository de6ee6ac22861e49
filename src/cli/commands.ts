import { readFile } from "node:fs/promises";
import { writePrivateFile } from "../shared/private-file.js";
import { UsageError, type Command } from "./parse.js";
import type { App } from "../app.js";
import { parseIdentityFile } from "../engine/stages/encrypt.js";
import type { CopyCheck } from "../engine/verify.js";
import { ValidationError } from "../services/errors.js";
import { renderTranslatable } from "../shared/translatable.js";
import type { AdoptPlan } from "../application/adopt.js";
import type { RestoreTarget } from "../engine/restore.js";
import type { RestoreInto } from "../sources/port.js";
import { proposedDatabaseName } from "../sources/restore-names.js";
import { formatBytes, formatDuration } from "../shared/format.js";
import { BACKUP_EXIT, backupOutcome, cliLocale, type CliText } from "./messages.js";
import { progressLine } from "./progress-line.js";
import { drillText } from "../engine/drill.js";
import { discover } from "./discover.js";

export interface CommandIo {
  text: CliText;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  signal: AbortSignal;
  /** Where a confirmation is read from (default process.stdin; asked only when it is a terminal). */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
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
      const outcome = backupOutcome(result);
      if (command.json) {
        out(JSON.stringify({ ...result, outcome }, null, 2));
      } else {
        out(outcome === "unverified" ? t("cli-run-status-unverified", { run: result.runId }) : t("cli-run-status", { run: result.runId, status: result.status }));
        out(t("cli-run-job", { job: result.job }));
        if (result.status === "success") {
          out(t("cli-run-file", { file: result.fileName, parts: result.parts }));
          out(t("cli-run-size", { size: formatBytes(result.payloadSize), raw: formatBytes(result.rawSize) }));
          out(t("cli-run-sha", { sha: result.sha256 ?? "" }));
          out(t("cli-run-verified", { verified: result.verified ? "yes" : "no" }));
          // Anomalies and drills speak from locales/<lang>/drill.ftl (the full bundles, not cli.ftl).
          const locale = cliLocale(process.env);
          for (const a of result.anomalies ?? []) out(app.translate(locale, "cli-run-anomaly", { reason: app.translate(locale, a.key, a.params) }));
        } else {
          out(t("cli-run-error", { error: result.error ?? "" }));
        }
        out(t("cli-run-duration", { duration: formatDuration(result.durationMs) }));
      }
      return BACKUP_EXIT[outcome];
    }

    case "restore": {
      const identities = command.identity ? parseIdentityFile(await readFile(command.identity, "utf8")) : undefined;
      // Default: the passphrase stored with the run (the restorer looks it up); a file overrides it.
      const passphrase = command.passphraseFile ? passphraseOfFile(await readFile(command.passphraseFile, "utf8")) : undefined;
      const target = command.to ? await restoreTarget(app, command, io) : { kind: "file" as const, path: command.file! };
      // restoreTarget checked a target it replaces into, a moment ago; a new database it leaves to the restorer.
      const targetChecked = target.kind === "source" && target.into?.mode === "replace";
      const progress = progressLine(io.stderr);
      // Recorded while it runs: if this process dies, the next start removes the partial output and tells the admins.
      const record = app.restores.begin({
        runId: command.runId,
        target: target.kind === "file" ? target.path : target.name,
        via: "cli",
        kind: target.kind === "file" ? "file" : target.config.kind,
        scratch: app.restorer.scratchOf(target),
      });
      let restored;
      try {
        restored = await app.restorer.restore(command.runId, target, {
          identities,
          passphrase,
          signal: io.signal,
          onProgress: (p) => progress.update(t(`cli-phase-${p.phase}`), p.bytes),
          targetChecked,
        });
      } catch (err) {
        app.restores.finish(record.id, io.signal.aborted ? "interrupted" : "failed", (err as Error).message ?? String(err));
        throw err;
      }
      app.restores.finish(record.id, "success");
      const { bytes, skipped } = restored;
      progress.done();
      for (const c of skipped) io.stderr.write(t("cli-restore-skipped-copy", copyParams(c)) + "\n");
      if (target.kind === "source" && target.into?.mode === "new") {
        out(t("cli-restored-new-database", { run: command.runId, database: target.config.kind === "postgres" || target.config.kind === "mysql" ? target.config.database : "", source: target.name, size: formatBytes(bytes) }));
      } else {
        const key = target.kind === "file" ? "cli-restored-file" : "cli-restored-source";
        out(t(key, { run: command.runId, target: target.kind === "file" ? target.path : target.name, size: formatBytes(bytes) }));
      }
      return 0;
    }

    case "verify": {
      const report = await app.restorer.verify(command.runId, io.signal);
      // One line per destination and part, then the verdict.
      for (const c of report.copies) out(t("cli-verify-copy", { ...copyParams(c), parts: report.run.partCount ?? 0 }));
      if (report.ok) {
        out(t("cli-verify-ok", { run: command.runId, count: report.checked }));
        return 0;
      }
      const bad = report.copies.filter((c) => c.status !== "ok").length;
      out(t(report.restorable ? "cli-verify-restorable" : "cli-verify-failed", { run: command.runId, bad }));
      return 1;
    }

    case "drill": {
      // A drill restores the newest good run into a throw-away target and compares (src/application/drill.ts).
      const report = await app.drills.drill(command.job, "cli", io.signal);
      out(drillText(app.translate, cliLocale(process.env), report));
      return report.status === "passed" ? 0 : 1;
    }

    case "config-export": {
      const yaml = app.configIo.export({ withSecrets: command.withSecrets });
      if (command.file) {
        await writePrivateFile(command.file, yaml);
        out(t(command.withSecrets ? "cli-exported-secrets" : "cli-exported", { file: command.file }));
      } else {
        io.stdout.write(yaml);
      }
      return 0;
    }

    case "adopt":
      return adopt(app, command, io);

    case "discover":
      return discover(app, command.add, io);

    case "config-import": {
      const text = await readFile(command.file, "utf8");
      try {
        const summary = await app.configIo.import(text);
        out(t("cli-imported", { file: command.file, summary: JSON.stringify(summary) }));
        return 0;
      } catch (err) {
        if (err instanceof ValidationError) {
          io.stderr.write(t("cli-import-invalid", { file: command.file, count: err.issues.length }) + "\n");
          // each issue carries its key: said in the CLI's language (English is its message as is)
          const locale = cliLocale(process.env);
          for (const issue of err.issues) {
            const message = locale === "en" ? issue.message : renderTranslatable(app.translate, locale, issue);
            io.stderr.write(`  ${issue.path}: ${message}\n`);
          }
          return 1;
        }
        throw err;
      }
    }
  }
}

/** A passphrase file's text: the whole file, without one trailing newline (as `file:` references are read). */
function passphraseOfFile(text: string): string {
  return text.replace(/\r?\n$/, "");
}

/** What the CLI's copy lines show of a CopyCheck. */
function copyParams(c: CopyCheck): { destination: string; part: number; name: string; status: string; detail: string } {
  return { destination: c.destination, part: c.part, name: c.name, status: c.status, detail: c.detail ?? "" };
}

/**
 * `--to <source>` with `--new-database[=name]` (a new database on the source's server),
 * `--replace`, or neither (only into an empty target: replacing data must be asked for).
 */
async function restoreTarget(app: App, command: Extract<Command, { name: "restore" }>, io: CommandIo): Promise<RestoreTarget> {
  const source = await app.sources.resolve(command.to!);
  const { config } = source;
  if (command.newDatabase !== undefined) {
    if (config.kind !== "postgres" && config.kind !== "mysql") throw new UsageError(io.text("cli-restore-new-database-kind", { source: source.name, kind: config.kind }));
    const run = app.runs.get(command.runId);
    const name = command.newDatabase || proposedDatabaseName(config.database, run?.startedAt ?? new Date(), app.config.timezone);
    const into: RestoreInto = { mode: "new", from: config.database };
    return { kind: "source", name: source.name, config: { ...config, database: name }, into };
  }
  const into: RestoreInto = { mode: "replace" };
  const state = await app.checkRestoreTarget(config, into, io.signal);
  if (state && !state.empty && !command.replace) {
    const database = config.kind === "postgres" || config.kind === "mysql" ? config.database : source.name;
    throw new UsageError(io.text("cli-restore-not-empty", { source: source.name, database }));
  }
  return { kind: "source", name: source.name, config, into };
}

/** `adopt <chat>`: shows what the chat's catalog holds, then imports it after --yes or a typed "y". */
async function adopt(app: App, command: Extract<Command, { name: "adopt" }>, io: CommandIo): Promise<number> {
  const out = (s: string) => io.stdout.write(s + "\n");
  const t = io.text;
  const plan = await app.adopter.inspect(command.chat, io.signal);
  const { catalog } = plan;
  const when = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;
  const secrets = (job: AdoptPlan["jobs"][number]) =>
    job.missing.map((m) => (m === "password" ? t("cli-adopt-secret-password", { source: job.job.source.name }) : t("cli-adopt-secret-passphrase"))).join(", ");
  out(t("cli-adopt-header", { chat: catalog.chat.id, installation: catalog.installation_id, written: when(catalog.written_at) }));
  for (const other of plan.catalogs.slice(1)) out(t("cli-adopt-other-catalog", { installation: other.catalog.installation_id, written: when(other.catalog.written_at), runs: other.catalog.runs.length }));
  for (const u of plan.unreadable) out(t("cli-adopt-unreadable-catalog", { installation: u.installation_id, reason: u.reason }));
  out(t("cli-adopt-jobs", { count: plan.jobs.length }));
  for (const j of plan.jobs) {
    if (j.exists) out("  " + t("cli-adopt-job-exists", { job: j.job.name }));
    else out("  " + t("cli-adopt-job-new", { job: j.job.name, kind: j.job.source.kind, source: j.job.source.name, schedule: j.job.schedule, secrets: secrets(j) || "-" }));
  }
  out(t("cli-adopt-runs", { count: plan.runs.length }));
  for (const r of plan.runs) {
    out("  " + t("cli-adopt-run", {
      run: r.run.run_id, job: r.run.job, date: when(r.run.started_at), size: formatBytes(r.run.payload_size ?? 0), parts: r.run.part_count ?? 0,
      state: r.complete ? (r.run.verified ? "complete" : "unverified") : "incomplete", imported: r.imported ? "yes" : "no",
    }) + (plan.catalogs.length > 1 ? " · " + t("cli-adopt-run-installation", { installation: r.installation }) : ""));
  }
  let go = command.yes;
  const stdin = io.stdin ?? process.stdin;
  if (!go && stdin.isTTY) {
    const { createInterface } = await import("node:readline/promises");
    const rl = createInterface({ input: stdin, output: io.stdout });
    try {
      go = /^(y|yes|д|да)$/i.test((await rl.question(t("cli-adopt-confirm") + " ", { signal: io.signal })).trim());
    } finally {
      rl.close();
    }
    if (!go) {
      out(t("cli-adopt-cancelled"));
      return 1;
    }
  }
  if (!go) {
    out(t("cli-adopt-dry-run"));
    return 0;
  }
  const result = app.adopter.apply(plan, { takeOver: command.takeOver });
  out(t("cli-adopt-done", { runs: result.runsImported.length, skipped: result.runsSkipped, destination: result.destination, jobs: result.jobsCreated.join(", ") || "-", sources: result.sourcesCreated.join(", ") || "-" }));
  for (const r of result.idsHere) out("  " + t("cli-adopt-run-here", r));
  for (const h of await app.adopter.handOver(command.chat, plan, result, io.signal)) {
    out(h.error ? t("cli-adopt-handover-failed", { installation: h.installation, error: h.error }) : t("cli-adopt-handed-over", { installation: h.installation }));
  }
  for (const taken of result.takenOver) out(t("cli-adopt-taken-over", { installation: taken.installation, runs: taken.runs }));
  for (const j of plan.jobs) if (!j.exists && result.jobsCreated.includes(j.job.name) && j.missing.length > 0) out(t("cli-adopt-enable-hint", { job: j.job.name, secrets: secrets(j) }));
  return 0;
}
