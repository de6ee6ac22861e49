import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { createHash, randomUUID } from "node:crypto";
import type { Compression } from "../domain.js";
import type { RunPartRow, RunRow } from "../db/schema.js";
import type { Destination, DestinationConfig } from "../destinations/port.js";
import type { DestinationFactory } from "../destinations/registry.js";
import type { Logger } from "../logger.js";
import type { RunsRepo } from "../repos/runs.repo.js";
import type { DumpFormat, RestoreInto, SourceConfig } from "../sources/port.js";
import type { SourceRegistry } from "../sources/registry.js";
import { hashFile } from "../shared/hash-file.js";
import { ownerTag } from "../shared/process-owner.js";
import { translatableOf, type Translatable, type TranslatableParam } from "../shared/translatable.js";
import { decompressor } from "./stages/compress.js";
import { ageDecryptWithFileKey, unwrapAgeFileKey } from "./stages/encrypt.js";
import { runPipeline, type Stage } from "./stages/run-pipeline.js";
import { locationOf } from "./part-location.js";
import { checkCopy, describeCopy, isNotFound, mismatch, type CopyCheck } from "./verify.js";

/** What a restore error says to people: a `restore-error-*` key (`locales/<lang>/restore.ftl`) and its params. */
export interface RestoreErrorOptions extends ErrorOptions {
  key?: string;
  params?: Record<string, TranslatableParam>;
}

/**
 * A restore or verify that cannot go ahead. The message is English (logs, the CLI); `key` and
 * `params` say the same in the reader's language (the bot).
 */
export class RestoreError extends Error {
  override name = "RestoreError";
  readonly key?: string;
  readonly params?: Record<string, TranslatableParam>;
  constructor(message: string, options: RestoreErrorOptions = {}) {
    const { key, params, ...rest } = options;
    super(message, rest);
    this.key = key;
    this.params = params;
  }
}

/**
 * A passphrase-encrypted run that cannot be opened with the passphrase at hand: `unavailable`
 * (none stored, or its `env:`/`file:` reference cannot be resolved) or `wrong` (it does not
 * decrypt the backup). `given` tells whether the caller supplied it. Nothing was loaded.
 */
export class PassphraseError extends RestoreError {
  override name = "PassphraseError";
  constructor(
    message: string,
    readonly reason: "unavailable" | "wrong",
    readonly given: boolean,
    options?: RestoreErrorOptions,
  ) {
    super(message, options);
  }
}

/** The payload rebuilt from its parts is not the one the run recorded; the stream fails instead of ending. */
export class PayloadMismatchError extends RestoreError {
  override name = "PayloadMismatchError";
}

/** `into` (databases): replace `config.database`, or create it new (see RestoreInto in sources/port.ts). */
export type RestoreTarget = { kind: "source"; name: string; config: SourceConfig; into?: RestoreInto } | { kind: "file"; path: string };

export interface RestoreProgress {
  phase: "downloading" | "checking" | "loading" | "done";
  bytes: number;
  total: number;
}

export interface RestoreOptions {
  /** age identities (AGE-SECRET-KEY-1...) for runs encrypted to recipients. */
  identities?: string[];
  /** The passphrase for a passphrase-encrypted run; default: the one stored with the run. */
  passphrase?: string;
  signal?: AbortSignal;
  onProgress?: (p: RestoreProgress) => void;
  /**
   * The caller has just run the driver's `checkRestoreTarget` on this very target (the CLI does,
   * to refuse a target that is not empty): it is not run a second time (each check is a client
   * run against the server). Callers that let time pass in between (the bot asks first) leave it unset.
   */
  targetChecked?: boolean;
}

export interface RestoreResult {
  run: RunRow;
  bytes: number;
  /** The copies passed over because they were missing, corrupt or unreachable (the restore used another). */
  skipped: CopyCheck[];
}

/** `verify`: every stored copy of every part (and of the manifest), per destination. */
export interface RunVerifyReport {
  run: RunRow;
  /** Every stored copy read back intact. */
  ok: boolean;
  /** Every part of the payload has at least one intact copy somewhere. */
  restorable: boolean;
  /** Copies read back and hashed. */
  checked: number;
  /** Copies too large for their destination to hand back. */
  skipped: number;
  /** One entry per destination and part, in destination then part order. */
  copies: CopyCheck[];
  /** English lines for logs: every copy that is not intact. */
  problems: string[];
}

export interface RestoreDeps {
  runs: RunsRepo;
  sources: SourceRegistry;
  makeDestination: DestinationFactory;
  /** The destination config behind a run_parts.destination_id (null when it was deleted). */
  destinationConfig: (id: number) => Promise<DestinationConfig | null>;
  /**
   * The passphrase stored with a passphrase-encrypted run (resolved), undefined when none is.
   * @throws when a stored reference cannot be resolved (the message names the reference, never a value)
   */
  storedPassphrase?: (run: RunRow) => Promise<string | undefined>;
  spoolDir: string;
  log: Logger;
  /** Whether a restore still running in a live process recorded this scratch entry (RestoreOptions.heldByLiveRestore). */
  heldByLiveRestore?: (entry: string) => boolean;
  /** The dead processes of this installation whose helper containers are leftovers (RestoreOptions.deadOwners). */
  deadOwners?: () => ReadonlySet<string>;
}

/** One destination that holds parts of a run, by part number. */
interface Holder {
  destination: Destination;
  parts: Map<number, RunPartRow>;
}

/** A part taken from the first copy that came back intact. */
interface FetchedPart {
  file: string;
  size: number;
}

/**
 * Verifies and restores finished runs from wherever their parts were delivered.
 *
 * Every part is taken from the first destination that hands it back with the recorded size
 * and sha256, local folders first (they cost nothing); a missing, corrupt or unreachable copy
 * is passed over for the next one. Nothing is loaded until every part is in hand and the
 * decryption key is known to open the payload.
 */
export class RestoreService {
  constructor(private readonly deps: RestoreDeps) {}

  /** Reads every stored copy of every part back, from every destination, and checks its sha256. */
  async verify(runId: number, signal?: AbortSignal): Promise<RunVerifyReport> {
    const run = this.successfulRun(runId);
    const holders = await this.holders(run);
    if (holders.length === 0) throw new RestoreError(`run ${runId} has no stored parts left to verify`, { key: "restore-error-no-parts-verify", params: { run: runId } });
    const copies: CopyCheck[] = [];
    for (const h of holders) {
      const last = Math.max(run.partCount ?? 0, ...h.parts.keys());
      for (let index = 0; index <= last; index++) {
        const part = h.parts.get(index);
        if (part) copies.push(await checkCopy(h.destination, toCheck(part), signal));
        else if (index > 0) copies.push({ destination: h.destination.name, part: index, name: partName(run, index), status: "missing" });
      }
    }
    const problems = copies.filter((c) => c.status !== "ok").map(describeCopy);
    const restorable = partNumbers(run).every((i) => copies.some((c) => c.part === i && c.status === "ok"));
    const ok = problems.length === 0;
    if (ok) this.deps.runs.update(run.id, { verifiedAt: new Date() });
    return {
      run,
      ok,
      restorable,
      checked: copies.filter((c) => c.status === "ok" || c.status === "corrupt").length,
      skipped: copies.filter((c) => c.status === "too-big").length,
      copies,
      problems,
    };
  }

  /**
   * Whether the passphrase (default: the one stored with the run) opens a passphrase-encrypted
   * run. Fetches only the first part (from the first intact copy). For the bot, which asks for
   * the passphrase before it starts a restore that would fail.
   * @throws RestoreError when no intact copy of the first part can be had
   */
  async checkPassphrase(runId: number, passphrase?: string, signal?: AbortSignal): Promise<"ok" | "wrong" | "unavailable" | "not-needed"> {
    const run = this.successfulRun(runId);
    if (run.encryption !== "passphrase") return "not-needed";
    const key = await this.passphraseOf(run, passphrase).catch((err: unknown) => {
      if (err instanceof PassphraseError) return null;
      throw err;
    });
    if (key === null) return "unavailable";
    const staging = this.stagingDir(run);
    try {
      const first = await this.fetchPart(run, 1, await this.holders(run), staging, [], signal);
      return (await unwrapFileKey([first.file], { passphrase: key })) ? "ok" : "wrong";
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /**
   * What a restore into `target` by this process writes outside the spool and must not outlive
   * it: the partial output file, or what the target's driver names (`restoreScratch`). Recorded
   * with the restore, so start-up recovery removes them if the process dies first.
   */
  scratchOf(target: RestoreTarget): string[] {
    if (target.kind === "file") return [partialFileOf(path.resolve(target.path))];
    return this.deps.sources[target.config.kind].restoreScratch?.(target.config, this.tokenOf(target)) ?? [];
  }

  /** One token per restore target (the same object from `scratchOf` to `restore`): what its driver labels its scratch with. */
  private readonly tokens = new WeakMap<RestoreTarget, string>();
  private tokenOf(target: RestoreTarget): string {
    let token = this.tokens.get(target);
    if (!token) this.tokens.set(target, (token = randomUUID()));
    return token;
  }

  /**
   * Gathers every part (each from the first intact copy), checks that the key opens the
   * payload, then streams parts → decrypt → decompress → the target source (or a file).
   * The stream handed to the target ends normally only once the whole payload's sha256 has
   * matched the run's; otherwise it fails, so a target that commits on a normal end never
   * commits a payload that is not the backup.
   */
  async restore(runId: number, target: RestoreTarget, options: RestoreOptions = {}): Promise<RestoreResult> {
    const run = this.successfulRun(runId);
    if (target.kind === "source" && target.config.kind !== run.sourceKind) {
      throw new RestoreError(`run ${runId} is a ${run.sourceKind} backup; it cannot be restored into ${target.config.kind} source "${target.name}"`, {
        key: "restore-error-kind-mismatch",
        params: { run: runId, kind: run.sourceKind ?? "?", targetKind: target.config.kind, target: target.name },
      });
    }
    if (run.encryption === "recipients" && !options.identities?.length) {
      throw new RestoreError(`run ${runId} is encrypted to age recipients: pass the private key with --identity <file>`, { key: "restore-error-needs-identity", params: { run: runId } });
    }
    const passphrase = run.encryption === "passphrase" ? await this.passphraseOf(run, options.passphrase) : undefined;
    if (target.kind === "file") {
      const exists = await stat(target.path).then(() => true, () => false);
      if (exists) throw new RestoreError(`${target.path} already exists; choose a new file`, { key: "restore-error-file-exists", params: { path: target.path } });
    }
    // A target the driver cannot restore into safely is refused before anything is downloaded.
    if (target.kind === "source" && !options.targetChecked) await this.deps.sources[target.config.kind].checkRestoreTarget?.(target.config, target.into ?? { mode: "replace" }, options.signal);
    const holders = await this.holders(run);
    if (holders.length === 0) throw new RestoreError(`run ${runId} has no stored parts left to restore`, { key: "restore-error-no-parts", params: { run: runId } });
    const total = run.payloadSize ?? 0;
    const staging = this.stagingDir(run);
    const signal = options.signal;
    const skipped: CopyCheck[] = [];
    try {
      // 1. every part present and intact, before anything is loaded
      const files: string[] = [];
      let bytes = 0;
      for (const index of partNumbers(run)) {
        options.onProgress?.({ phase: holders[0]!.destination.localPath ? "checking" : "downloading", bytes, total });
        const part = await this.fetchPart(run, index, holders, staging, skipped, signal);
        files.push(part.file);
        bytes += part.size;
      }
      for (const c of skipped) this.deps.log.warn({ runId: run.id, copy: describeCopy(c) }, "restore: passed over a copy");

      // 2. the key opens it (a wrong one fails here, before the target is touched)
      const fileKey = run.encryption === "none" ? null : await unwrapFileKey(files, { identities: options.identities, passphrase });
      if (run.encryption !== "none" && !fileKey) {
        if (run.encryption === "recipients") {
          throw new RestoreError(`the age identity given does not open run ${runId}; nothing was restored`, { key: "restore-error-identity-wrong", params: { run: runId } });
        }
        throw wrongPassphrase(run, options.passphrase !== undefined);
      }

      // 3. payload → decrypt → decompress → target
      let loaded = 0;
      const expected = run.sha256 ? { sha256: run.sha256, size: run.payloadSize ?? undefined } : undefined;
      const stages: Stage[] = [
        Readable.from(verifiedConcat(files, expected, runId, (chunk) => {
          loaded += chunk.length;
          options.onProgress?.({ phase: "loading", bytes: loaded, total });
        })),
      ];
      if (fileKey) stages.push(ageDecryptWithFileKey(fileKey));
      stages.push(decompressor(run.compression as Compression));
      if (target.kind === "file") {
        await writeFileAtomically(target.path, stages, signal);
      } else {
        const out = new PassThrough();
        const driver = this.deps.sources[target.config.kind];
        await mkdir(staging, { recursive: true }); // the driver's scratch folder (parts checked in place made none)
        const restoring = driver.restore(target.config, out, {
          format: (run.format ?? driver.formats[0]) as DumpFormat,
          signal: signal ?? new AbortController().signal,
          into: target.into,
          scratchDir: staging,
          token: this.tokenOf(target),
          heldByLiveRestore: this.deps.heldByLiveRestore,
          deadOwners: this.deps.deadOwners,
        });
        // A restore that gives up stops reading: end the stages feeding it rather than leave them waiting.
        restoring.catch(() => out.destroy());
        // Wait for both (the driver cleans up its scratch resources before it settles), and
        // report the target's own error (psql's, mariadb's) over the EPIPE it caused upstream.
        const [fed, loaded] = await Promise.allSettled([runPipeline([...stages, out], signal), restoring]);
        const echoed = loaded.status === "rejected" && fed.status === "rejected" && (loaded.reason as Error)?.cause === fed.reason;
        if (loaded.status === "rejected" && !echoed) throw loaded.reason;
        if (fed.status === "rejected") throw fed.reason;
      }
      options.onProgress?.({ phase: "done", bytes: loaded, total });
      return { run, bytes: loaded, skipped };
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  private successfulRun(runId: number): RunRow {
    const run = this.deps.runs.get(runId);
    if (!run) throw new RestoreError(`run ${runId} not found`, { key: "restore-error-run-not-found", params: { run: runId } });
    if (run.status !== "success") {
      throw new RestoreError(`run ${runId} did not succeed (${run.status}); there is nothing to restore`, { key: "restore-error-run-not-success", params: { run: runId, status: run.status } });
    }
    return run;
  }

  /** The passphrase to open a run with: the one given, else the one stored with the run. */
  private async passphraseOf(run: RunRow, given: string | undefined): Promise<string> {
    if (given !== undefined) return given;
    let stored: string | undefined;
    try {
      stored = await this.deps.storedPassphrase?.(run);
    } catch (err) {
      throw new PassphraseError(
        `run ${run.id} is encrypted with a passphrase and the one stored with it cannot be used (${(err as Error).message}); give it with --passphrase-file <file>`,
        "unavailable",
        false,
        { cause: err, key: "restore-error-passphrase-unusable", params: { run: run.id, reason: translatableOf(err) ?? (err as Error).message } },
      );
    }
    if (stored === undefined) {
      throw new PassphraseError(`run ${run.id} is encrypted with a passphrase and none is stored for it; give it with --passphrase-file <file>`, "unavailable", false, {
        key: "restore-error-passphrase-none",
        params: { run: run.id },
      });
    }
    return stored;
  }

  /** Destinations holding live parts of the run, local folders first. */
  private async holders(run: RunRow): Promise<Holder[]> {
    // One holder per destination and copy: a mirror chat's copies (copy 1) are tried after the chat's own.
    const byDestination = new Map<string, { id: number; copy: number; parts: Map<number, RunPartRow> }>();
    for (const p of this.deps.runs.liveParts(run.id)) {
      if (p.destinationId == null) continue;
      const key = `${p.destinationId}:${p.copy}`;
      const entry = byDestination.get(key) ?? { id: p.destinationId, copy: p.copy, parts: new Map<number, RunPartRow>() };
      entry.parts.set(p.partIndex, p);
      byDestination.set(key, entry);
    }
    const holders: Holder[] = [];
    for (const { id, copy, parts } of byDestination.values()) {
      const config = await this.deps.destinationConfig(id);
      if (!config) continue;
      const first = parts.values().next().value;
      // A mirror copy is named after its chat, so verify and restore say which copy they mean.
      const named = copy > 0 ? { ...config, name: `${config.name} (mirror ${first?.locator ?? "?"})` } : config;
      holders.push({ destination: this.deps.makeDestination(named), parts });
    }
    // Prefer a destination we can read from disk over one we must download from (stable otherwise).
    return holders.sort((a, b) => Number(!a.destination.localPath) - Number(!b.destination.localPath));
  }

  /**
   * Part `index` from the first holder whose copy has the recorded size and sha256; the copies
   * passed over are appended to `skipped`.
   * @throws RestoreError naming every copy and what was wrong with it, when none is intact
   */
  private async fetchPart(run: RunRow, index: number, holders: Holder[], staging: string, skipped: CopyCheck[], signal?: AbortSignal): Promise<FetchedPart> {
    const tried: CopyCheck[] = [];
    /** The reason an unreadable copy gives, in its own words (a destination error's key, when it has one). */
    const said = new Map<CopyCheck, TranslatableParam>();
    for (const [n, h] of holders.entries()) {
      const part = h.parts.get(index);
      const base = { destination: h.destination.name, part: index, name: part?.name ?? partName(run, index) };
      let problem: CopyCheck;
      if (!part) problem = { ...base, status: "missing" };
      else if (h.destination.maxFetchSize !== undefined && part.size > h.destination.maxFetchSize) problem = { ...base, status: "too-big" };
      else {
        let file: string | undefined;
        try {
          file = await this.localCopy(h.destination, part, path.join(staging, String(n)), signal);
          const actual = await hashFile(file, signal);
          if (actual.sha256 === part.sha256 && actual.size === part.size) {
            skipped.push(...tried);
            return { file, size: actual.size };
          }
          problem = { ...base, status: "corrupt", detail: mismatch(actual, part) };
        } catch (err) {
          if (signal?.aborted) throw err;
          problem = isNotFound(err) ? { ...base, status: "missing" } : { ...base, status: "unreadable", detail: (err as Error).message };
          if (problem.status === "unreadable") said.set(problem, translatableOf(err) ?? problem.detail ?? "");
        }
        if (file?.startsWith(staging)) await rm(file, { force: true });
      }
      tried.push(problem);
    }
    throw new RestoreError(`part ${index} of run ${run.id} has no intact copy (${tried.map(describeCopy).join("; ")}); nothing was restored`, {
      key: "restore-error-no-intact-copy",
      params: { part: index, run: run.id, copies: copyList(tried.map((c) => copySaid(c, said.get(c)))) },
    });
  }

  /** The part as a local file: read in place when the destination is a folder, else downloaded into `dir`. */
  private async localCopy(destination: Destination, part: RunPartRow, dir: string, signal?: AbortSignal): Promise<string> {
    const direct = destination.localPath?.(locationOf(part));
    if (direct) return direct;
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, part.name);
    const handle = await open(file, "w");
    try {
      await runPipeline([await destination.fetch(locationOf(part), signal), handle.createWriteStream()], signal);
    } finally {
      await handle.close().catch(() => {});
    }
    return file;
  }

  private stagingDir(run: RunRow): string {
    // The owner tag (pid.start-ticks) tells start-up recovery whether the folder's process still runs.
    return path.join(this.deps.spoolDir, `restore-${run.id}-${ownerTag()}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
  }
}

function wrongPassphrase(run: RunRow, given: boolean): PassphraseError {
  const message = given
    ? `the passphrase given does not open run ${run.id}; nothing was restored`
    : `the passphrase stored with run ${run.id} does not open it (was it changed?); give the one the backup was made with: --passphrase-file <file>; nothing was restored`;
  return new PassphraseError(message, "wrong", given, { key: given ? "restore-error-passphrase-given-wrong" : "restore-error-passphrase-stored-wrong", params: { run: run.id } });
}

/** One copy that could not be used, as `restore-copy-*`; `detail` is why an unreadable one could not be read. */
function copySaid(c: CopyCheck, detail: TranslatableParam | undefined): Translatable {
  const base = { destination: c.destination, name: c.name };
  if (c.status === "unreadable") return { key: "restore-copy-unreadable", params: { ...base, detail: detail ?? c.detail ?? "" } };
  return { key: `restore-copy-${c.status === "ok" ? "missing" : c.status}`, params: base };
}

/** Items joined with "; " (a nested `restore-copy-list`: a Translatable has no lists). */
function copyList(items: Translatable[]): TranslatableParam {
  const [first, ...rest] = items;
  if (!first) return "";
  return rest.length === 0 ? first : { key: "restore-copy-list", params: { first, rest: copyList(rest) } };
}

/** 1 … partCount. */
function partNumbers(run: RunRow): number[] {
  return Array.from({ length: run.partCount ?? 0 }, (_, i) => i + 1);
}

/** The name part `index` has in every destination (`<payload>.002`). */
function partName(run: RunRow, index: number): string {
  return `${run.fileName ?? `run-${run.id}`}.${String(index).padStart(3, "0")}`;
}

function toCheck(p: RunPartRow) {
  return { index: p.partIndex, name: p.name, size: p.size, sha256: p.sha256, location: locationOf(p) };
}

/**
 * The payload's age file key, unwrapped with these keys from the header at the start of the
 * payload (null when they do not open it). Unwrapping once and decrypting with the result
 * runs a passphrase's scrypt once, not once per check.
 */
async function unwrapFileKey(files: string[], keys: { identities?: string[]; passphrase?: string }): Promise<Uint8Array | null> {
  return unwrapAgeFileKey(await head(files, HEADER_WINDOW), keys);
}

/** More than any age header this program writes (one scrypt stanza, or a stanza per recipient). */
const HEADER_WINDOW = 256 * 1024;

/** The first `limit` bytes of the files laid end to end. */
async function head(files: string[], limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for (const f of files) {
    if (size >= limit) break;
    const handle = await open(f, "r");
    try {
      const buf = Buffer.alloc(limit - size);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      chunks.push(buf.subarray(0, bytesRead));
      size += bytesRead;
    } finally {
      await handle.close();
    }
  }
  return Buffer.concat(chunks);
}

/**
 * The parts as one stream, checked against the run's payload sha256 (and size). The last
 * chunk is held back until the check has passed: whatever reads this stream cannot see the
 * whole payload, nor a normal end, unless it is exactly the backup; on a mismatch the
 * generator throws before it returns.
 */
export async function* verifiedConcat(
  files: string[],
  expected: { sha256: string; size?: number } | undefined,
  runId: number,
  onChunk: (chunk: Buffer) => void,
): AsyncGenerator<Buffer> {
  const hash = createHash("sha256");
  let size = 0;
  let held: Buffer | undefined;
  for (const f of files) {
    for await (const c of createReadStream(f, { highWaterMark: 256 * 1024 })) {
      const chunk = c as Buffer;
      if (held) {
        onChunk(held);
        yield held;
      }
      held = chunk;
      hash.update(chunk);
      size += chunk.length;
    }
  }
  const actual = { sha256: hash.digest("hex"), size };
  if (!expected) {
    throw new PayloadMismatchError(`run ${runId} has no recorded sha256; its payload cannot be checked, so the restore was stopped before its end`, {
      key: "restore-error-payload-unchecked",
      params: { run: runId },
    });
  }
  if (actual.sha256 !== expected.sha256 || (expected.size !== undefined && actual.size !== expected.size)) {
    throw new PayloadMismatchError(`run ${runId}: the payload rebuilt from its parts does not match the manifest (${mismatch(actual, { sha256: expected.sha256, size: expected.size ?? actual.size })}); the restore was stopped before its end`, {
      key: "restore-error-payload-mismatch",
      params: { run: runId },
    });
  }
  if (held) {
    onChunk(held);
    yield held;
  }
}

/** Where a restore to `target` writes until it is complete (recorded so recovery can remove it after a crash). */
export function partialFileOf(target: string): string {
  return `${target}.partial-${process.pid}`;
}

async function writeFileAtomically(target: string, stages: Stage[], signal?: AbortSignal): Promise<void> {
  await mkdir(path.dirname(path.resolve(target)), { recursive: true });
  const tmp = partialFileOf(target);
  try {
    await runPipeline([...stages, createWriteStream(tmp, { flags: "wx" })], signal);
    const handle = await open(tmp, "r+");
    await handle.sync();
    await handle.close();
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
