import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { startFakeS3, type FakeS3 } from "../fake-s3/server.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import type { StoredMessage } from "../fake-telegram/state.js";
import { writeTree } from "../helpers/tree.js";
import { waitFor } from "../helpers/wait.js";
import { createWorkspace, MAIN, ROOT, type Workspace } from "../helpers/workspace.js";

const ADMIN = 111;
const CHANNEL = -1001234567892;
const PASSPHRASE = "crash-recovery passphrase 0123456789";
/** Files `tele-backup` keeps in DATA_DIR: the database (+ WAL). Anything else after recovery is a leftover. */
/** The data folder's own files: the database, and the daemon's lock (src/lifecycle/daemon-lock.ts). */
const DB_FILES = /^(tele-backup\.sqlite(-wal|-shm)?|daemon\.lock)$/;

/**
 * Issue 11: the real processes, killed with SIGKILL at bad moments, and the next
 * `tele-backup run`. Item 2: a live `backup` is not taken over by a restarting `run`.
 * Item 1: restores killed mid-way leave no decrypted file behind and their progress says so.
 */
describe("crash recovery of restores, and runs owned by live processes", () => {
  let fake: FakeTelegram;
  let s3: FakeS3;
  let ws: Workspace;
  let inspect: App;
  let bigRun: number;
  let localRun: number;

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: ADMIN, firstName: "Ada", languageCode: "en" });
    fake.createChannel({ id: CHANNEL });
    s3 = await startFakeS3({ buckets: ["backups"] });
    ws = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_SELF_HOSTED: "false", ADMIN_IDS: String(ADMIN), LOG_LEVEL: "warn" });
    const small = path.join(ws.dir, "small");
    const big = path.join(ws.dir, "big");
    await writeTree(small, { "notes.txt": "the decrypted content\n", "sub/data.csv": "a,b\n1,2\n" });
    // Highly compressible: a small payload that takes a while to write out when restored.
    mkdirSync(big);
    await writeZeros(path.join(big, "zeros.bin"), 400 * 1024 * 1024);
    const nas = path.join(ws.dir, "nas");
    // An SQLite database big enough that its snapshot takes a moment to copy and stream.
    const lite = new Database(path.join(ws.dir, "app.sqlite"));
    lite.exec("CREATE TABLE blobs (b BLOB)");
    const insert = lite.prepare("INSERT INTO blobs VALUES (randomblob(1048576))");
    lite.transaction(() => {
      for (let i = 0; i < 120; i++) insert.run();
    })();
    lite.close();
    // Above the S3 destination's 64 MiB multipart threshold, and incompressible.
    const large = path.join(ws.dir, "large");
    mkdirSync(large);
    await writeRandom(path.join(large, "random.bin"), 66 * 1024 * 1024);
    const yaml = `
sources:
  - { name: small, kind: directory, path: ${small} }
  - { name: big, kind: directory, path: ${big} }
  - { name: lite, kind: sqlite, path: ${path.join(ws.dir, "app.sqlite")} }
  - { name: large, kind: directory, path: ${large} }
destinations:
  - { name: channel, kind: telegram, chat_id: "${CHANNEL}" }
  - { name: nas, kind: local, path: ${nas} }
  - { name: offsite, kind: s3, endpoint: "${s3.endpoint}", region: ${s3.region}, bucket: backups, prefix: nightly/, path_style: true, access_key_id: ${s3.accessKeyId}, secret_access_key: "${s3.secretAccessKey}" }
jobs:
  - { name: tg, source: small, destinations: [channel], schedule: "0 3 1 1 *", encryption: { passphrase: "${PASSPHRASE}" } }
  - { name: local, source: small, destinations: [nas], schedule: "0 3 1 1 *", encryption: { passphrase: "${PASSPHRASE}" } }
  - { name: big, source: big, destinations: [nas], schedule: "0 3 1 1 *", encryption: { passphrase: "${PASSPHRASE}" } }
  - { name: lite, source: lite, destinations: [nas], schedule: "0 3 1 1 *", compression: none }
  - { name: lite-zstd, source: lite, destinations: [nas], schedule: "0 3 1 1 *", compression: zstd }
  - { name: large, source: large, destinations: [offsite], schedule: "0 3 1 1 *", compression: none, part_size: 100MiB }
  - { name: large-zstd, source: large, destinations: [nas], schedule: "0 3 1 1 *", compression: zstd }
`;
    const imported = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(imported.code, imported.stderr).toBe(0);
    for (const job of ["local", "big"]) {
      const r = await ws.cli(["backup", job]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    inspect = await ws.app();
    localRun = inspect.runs.list(10).find((r) => r.jobName === "local" && r.status === "success")!.id;
    bigRun = inspect.runs.list(10).find((r) => r.jobName === "big" && r.status === "success")!.id;
  });

  afterAll(async () => {
    inspect?.close();
    await fake?.close();
    await s3?.close();
    ws?.remove();
  });

  const spawnCli = (args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; exited: Promise<number | null>; output: () => string } => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: ROOT, env: { ...ws.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    return { child, exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))), output: () => out };
  };
  const startDaemon = async () => {
    const daemon = spawnCli(["run"]);
    await fake.waitFor(() => fake.isPolling(), 30_000, "the bot to start polling");
    return daemon;
  };
  const stop = async (p: { child: ChildProcess; exited: Promise<unknown> }) => {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGTERM");
    await p.exited;
  };
  const uncleanAlerts = () => fake.messages(ADMIN).filter((m) => m.text?.includes("unclean stop"));
  /** Starts `run` after a kill, waits for the unclean-stop alert after the first `before`, checks it with `check`, stops `run`. */
  const restartAfterKill = async (before: number, check: (alert: StoredMessage) => void) => {
    const daemon = await startDaemon();
    try {
      check(await fake.waitFor(() => uncleanAlerts()[before], 20_000, "the unclean-stop alert"));
    } finally {
      await stop(daemon);
    }
  };
  /** Every file under DATA_DIR that is not the database. */
  const strayFiles = () => walk(ws.dataDir).filter((f) => !DB_FILES.test(path.relative(ws.dataDir, f)));

  // the chat, as a user drives it
  const botMessages = () => fake.messages(ADMIN).filter((m) => m.sent_by_bot !== undefined);
  const maxId = () => Math.max(0, ...fake.messages(ADMIN, { includeDeleted: true }).map((m) => m.message_id));
  const send = (text: string, re: RegExp): Promise<StoredMessage> => {
    const after = maxId();
    fake.sendUserMessage(ADMIN, text);
    return fake.waitFor(() => botMessages().find((m) => m.message_id > after && re.test(m.text ?? "")), 30_000, `a bot message matching ${re}`);
  };
  const click = (label: string, re: RegExp): Promise<StoredMessage> => {
    const message = botMessages().filter((m) => (m.reply_markup?.inline_keyboard?.flat().length ?? 0) > 0).at(-1)!;
    const button = message.reply_markup!.inline_keyboard!.flat().find((b) => b.text.includes(label));
    if (!button || !("callback_data" in button)) throw new Error(`no button "${label}"`);
    const after = maxId();
    fake.pressButton(ADMIN, message.message_id, button.callback_data!);
    return fake.waitFor(
      () => botMessages().find((m) => (m.message_id > after || m.message_id === message.message_id) && re.test(m.text ?? "")),
      30_000,
      `after "${label}": a bot message matching ${re}`,
    );
  };

  it("a `backup` running while `run` restarts finishes `success`, and nobody gets a false alert", async () => {
    // The upload of part 1 is held long enough for `run` to start, recover and begin polling meanwhile.
    fake.failNext("sendDocument", { kind: "stall", ms: 15_000 });
    const backup = spawnCli(["backup", "tg"]);
    const run = await waitFor("the backup to be uploading", () => inspect.runs.list(10).find((r) => r.jobName === "tg" && r.status === "running" && r.phase === "upload"));
    const daemon = await startDaemon();
    try {
      // Recovery ran (the bot polls only after it) while the backup was still uploading.
      expect(inspect.runs.get(run.id)!.status).toBe("running");
      expect(ws.spoolEntries().some((e) => e === `run-${run.id}`)).toBe(true);
      const code = await backup.exited;
      expect(code, backup.output()).toBe(0);
      expect(inspect.runs.get(run.id)).toMatchObject({ status: "success", error: null });
      await new Promise((r) => setTimeout(r, 1000));
      expect(uncleanAlerts()).toEqual([]);
      expect(fake.messages(ADMIN).filter((m) => /interrupted/i.test(m.text ?? ""))).toEqual([]);
    } finally {
      await stop(backup);
      await stop(daemon);
    }
  });

  it("SIGKILL during a bot \"send me the file\" restore: the next start leaves no decrypted file and the progress message says interrupted", async () => {
    const daemon = await startDaemon();
    let progress: StoredMessage;
    try {
      // The decrypted file is complete and being sent when the process dies.
      fake.failNext("sendDocument", { kind: "stall", ms: 120_000 });
      await send("/restore", /which job's backup\?/);
      await click("local", /Restore local: which backup\?/);
      await click(`#${localRun}`, /Where should it go\?/);
      progress = await click("Send me the file", /sending it/);
      const restored = await waitFor("the decrypted file in the spool", () => strayFiles().find((f) => f.includes(`${path.sep}bot-restore-${localRun}-`)));
      expect(statSync(restored).size).toBeGreaterThan(0);
      daemon.child.kill("SIGKILL");
      await daemon.exited;
    } finally {
      fake.clearFaults();
      await stop(daemon);
    }
    expect(strayFiles().length).toBeGreaterThan(0);

    const next = await startDaemon();
    try {
      const finalized = await fake.waitFor(
        () => fake.messages(ADMIN).find((m) => m.message_id === progress.message_id && /interrupted/.test(m.text ?? "")),
        20_000,
        "the restore's progress message to say interrupted",
      );
      expect(finalized.text).toContain(`Restore of run #${localRun}`);
      expect(strayFiles()).toEqual([]);
      const alert = await fake.waitFor(() => uncleanAlerts()[0], 20_000, "the unclean-stop alert");
      expect(alert.text).toContain(`Restores interrupted (their temporary files removed): #${localRun} →`);
    } finally {
      await stop(next);
    }
  });

  it("SIGKILL during a CLI restore: the next start removes the partial decrypted file and says the restore was interrupted", async () => {
    const before = uncleanAlerts().length;
    const out = path.join(ws.dir, "out");
    const target = path.join(out, "big.tar");
    const restore = spawnCli(["restore", String(bigRun), "--file", target]);
    // Killed while it writes the decrypted payload out.
    const partial = await waitFor(
      "the partial restore output",
      () => (existsSync(out) ? readdirSync(out).find((f) => f.startsWith("big.tar.partial-") && statSync(path.join(out, f)).size > 0) : undefined),
      60_000,
      5,
    );
    restore.child.kill("SIGKILL");
    await restore.exited;
    expect(existsSync(path.join(out, partial)), "the restore finished before it was killed").toBe(true);
    expect(existsSync(target)).toBe(false);

    await restartAfterKill(before, (alert) => {
      expect(alert.text).toContain(`Restores interrupted (their temporary files removed): #${bigRun} → ${target}`);
      expect(readdirSync(out)).toEqual([]);
      expect(strayFiles()).toEqual([]);
    });
  });

  it("SIGKILL during a restore into a folder: only the restore's staging folder is in it, and the next start leaves the folder empty again", async () => {
    const before = uncleanAlerts().length;
    const { name, dir } = await ws.directoryTarget();
    const restore = spawnCli(["restore", String(bigRun), "--to", name]);
    // Killed while it extracts the 400 MB file.
    const staging = await waitFor(
      "the restore's staging folder with a file in it",
      () => readdirSync(dir).find((f) => f.startsWith(".tele-backup-restore-") && readdirSync(path.join(dir, f)).length > 0),
      60_000,
      5,
    );
    restore.child.kill("SIGKILL");
    await restore.exited;
    expect(readdirSync(dir)).toEqual([staging]); // nothing of the backup outside it: no mix

    await restartAfterKill(before, (alert) => {
      expect(alert.text).toContain(`Restores interrupted (their temporary files removed): #${bigRun} → ${name}`);
      expect(readdirSync(dir)).toEqual([]);
      expect(strayFiles()).toEqual([]);
    });
    // The folder takes the restore now.
    const again = await ws.cli(["restore", String(bigRun), "--to", name]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(readdirSync(dir)).toEqual(["zeros.bin"]);
  });

  it("SIGKILL during an SQLite backup: its snapshot was in the run's spool folder, never in TMPDIR, and the next start removes it", async () => {
    const before = uncleanAlerts().length;
    const tmp = path.join(ws.dir, "tmp");
    mkdirSync(tmp);
    const backup = spawnCli(["backup", "lite"], { TMPDIR: tmp });
    const snapshot = await waitFor(
      "the SQLite snapshot",
      () => walk(path.join(ws.dataDir, "spool")).find((f) => f.endsWith("snapshot.sqlite") && statSync(f).size > 0),
      60_000,
      5,
    );
    backup.child.kill("SIGKILL");
    await backup.exited;
    expect(path.relative(ws.dataDir, snapshot)).toMatch(/^spool\/run-\d+\/tele-backup-sqlite-[^/]+\/snapshot\.sqlite$/);
    // (tsx keeps its cache there too)
    const ours = () => readdirSync(tmp).filter((name) => name.startsWith("tele-backup"));
    expect(ours()).toEqual([]);

    await restartAfterKill(before, (alert) => {
      expect(alert.text).toContain("lite");
      expect(strayFiles()).toEqual([]);
      expect(ours()).toEqual([]);
    });
  });

  /** `tar` and `zstd` as usual, each first writing its pid into `<name>-pid`; the PATH that finds them. */
  const recordingTools = () => {
    const bin = path.join(ws.dir, "recording-bin");
    mkdirSync(bin, { recursive: true });
    const started = (tool: string) => path.join(ws.dir, `${tool}-pid`);
    for (const tool of ["tar", "zstd"]) {
      rmSync(started(tool), { force: true });
      writeFileSync(path.join(bin, tool), `#!/bin/sh\necho "$$" > ${started(tool)}\nexec /usr/bin/${tool} "$@"\n`);
      chmodSync(path.join(bin, tool), 0o755);
    }
    const pidOf = async (tool: string) => Number(await waitFor(`${tool} to start`, () => existsSync(started(tool)) && readFileSync(started(tool), "utf8").trim(), 60_000, 5));
    return { PATH: `${bin}:${process.env.PATH}`, pidOf };
  };

  it("SIGKILL while GNU tar writes a folder straight into zstd: neither outlives us, and the next start clears the spool", async () => {
    const before = uncleanAlerts().length;
    const tools = recordingTools();
    const backup = spawnCli(["backup", "large-zstd"], { PATH: tools.PATH });
    const [tar, zstd] = [await tools.pidOf("tar"), await tools.pidOf("zstd")];
    backup.child.kill("SIGKILL");
    await backup.exited;
    // zstd's output had nowhere to go (SIGPIPE on its next write); tar's then (SIGPIPE), or its list of names ended.
    await waitFor("zstd to end", () => !isRunning(zstd), 10_000, 20);
    await waitFor("tar to end", () => !isRunning(tar), 10_000, 20);

    await restartAfterKill(before, (alert) => {
      expect(alert.text).toContain("large-zstd");
      expect(strayFiles()).toEqual([]);
    });
  });

  it("SIGTERM while GNU tar writes a folder into zstd: the run ends interrupted, neither child outlives it, nothing is left in the spool", async () => {
    const tools = recordingTools();
    const backup = spawnCli(["backup", "large-zstd"], { PATH: tools.PATH });
    const [tar, zstd] = [await tools.pidOf("tar"), await tools.pidOf("zstd")];
    backup.child.kill("SIGTERM");
    expect(await backup.exited).not.toBe(0);
    expect(isRunning(tar)).toBe(false);
    expect(isRunning(zstd)).toBe(false);
    expect(inspect.runs.list(5).find((r) => r.jobName === "large-zstd")!.status).toBe("interrupted");
    expect(strayFiles()).toEqual([]);
  });

  it("GNU tar killed halfway through a folder: the run fails with that reason, and no part of it is kept", async () => {
    const tools = recordingTools();
    const nasFiles = () => walk(path.join(ws.dir, "nas")).filter((f) => f.includes("large-zstd"));
    const kept = nasFiles();
    const backup = spawnCli(["backup", "large-zstd"], { PATH: tools.PATH });
    process.kill(await tools.pidOf("tar"), "SIGKILL");
    expect(await backup.exited).not.toBe(0);
    expect(backup.output()).toMatch(/dump failed: backup of directory \/.*\/large failed: tar was killed by SIGKILL/);
    const run = inspect.runs.list(5).find((r) => r.jobName === "large-zstd")!;
    expect(run.status).toBe("failed");
    expect(nasFiles()).toEqual(kept);
    expect(strayFiles()).toEqual([]);
  });

  it("SIGKILL while zstd reads an SQLite snapshot itself: zstd does not outlive us, and the next start removes the snapshot", async () => {
    const before = uncleanAlerts().length;
    // zstd as usual, which first says where it runs and what it reads.
    const bin = path.join(ws.dir, "zstd-bin");
    mkdirSync(bin, { recursive: true });
    const started = path.join(ws.dir, "zstd-started");
    writeFileSync(path.join(bin, "zstd"), `#!/bin/sh\nfor last; do :; done\necho "$$ $last" > ${started}\nexec /usr/bin/zstd "$@"\n`);
    chmodSync(path.join(bin, "zstd"), 0o755);
    const backup = spawnCli(["backup", "lite-zstd"], { PATH: `${bin}:${process.env.PATH}` });
    const [pid, input] = (await waitFor("zstd to start", () => existsSync(started) && readFileSync(started, "utf8").trim(), 60_000, 5)).split(" ");
    expect(path.relative(ws.dataDir, input!)).toMatch(/^spool\/run-\d+\/tele-backup-sqlite-[^/]+\/snapshot\.sqlite$/);
    backup.child.kill("SIGKILL");
    await backup.exited;
    // Its output had nowhere to go: it stops on its next write (SIGPIPE), whatever is left to read.
    await waitFor("zstd to end", () => !isRunning(Number(pid)), 10_000, 20);

    await restartAfterKill(before, (alert) => {
      expect(alert.text).toContain("lite-zstd");
      expect(strayFiles()).toEqual([]);
    });
  });

  it("SIGKILL during an S3 multipart upload: the next start aborts the upload at the bucket (its chunks are billed until then) and says so", async () => {
    const before = uncleanAlerts().length;
    s3.failNext("upload-part", { kind: "stall" });
    const backup = spawnCli(["backup", "large"]);
    await waitFor("a chunk of the multipart upload in flight", () => s3.requests.some((r) => r.op === "upload-part" && r.status === "stalled"), 60_000, 10);
    backup.child.kill("SIGKILL");
    await backup.exited;
    const run = inspect.runs.list(20).find((r) => r.jobName === "large")!;
    const key = `nightly/large/${run.fileName}.001`;
    expect(s3.pendingUploads("backups")).toEqual([{ key, parts: 0 }]);

    await restartAfterKill(before, (alert) => {
      expect(alert.text).toContain(`large #${run.id}`);
      expect(alert.text).toContain(`Unfinished uploads aborted: offsite: ${key}`);
      expect(alert.text).toContain("Destinations where unfinished uploads could not be aborted (see the log): —");
      expect(s3.pendingUploads("backups")).toEqual([]);
      expect(s3.requests.filter((r) => r.op === "abort-multipart").map((r) => [r.key, r.status])).toEqual([[key, 204]]);
      expect(inspect.runs.get(run.id)!.status).toBe("interrupted");
      expect(strayFiles()).toEqual([]);
    });
  });
});

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f)).filter((f) => statSync(f).isFile());
}

async function writeZeros(file: string, size: number): Promise<void> {
  const out = createWriteStream(file);
  const chunk = Buffer.alloc(1024 * 1024);
  for (let written = 0; written < size; written += chunk.length) {
    if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

async function writeRandom(file: string, size: number): Promise<void> {
  const out = createWriteStream(file);
  for (let written = 0; written < size; written += 1024 * 1024) {
    if (!out.write(randomBytes(1024 * 1024))) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

/** Whether a process with this pid exists (and is not a zombie). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
