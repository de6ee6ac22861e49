/**
 * The bot while a backup runs: `tele-backup run` against the fake Bot API, a /runnow, and an
 * admin sending /status every 300 ms until the run ends. Reports the /status reply times (from
 * the admin's message to the bot's answer arriving at the fake) and the event-loop delay the
 * process itself measured during the run (its metrics endpoint, reset when the run starts).
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import Database from "better-sqlite3";
import type { FakeTelegram } from "../test/fake-telegram/server.js";
import { MALLOC_TUNABLES, NODE_FLAGS } from "../scripts/launcher.mjs";
import { median, peakRssOf } from "./measure.js";

export interface BotFigures {
  statusSamples: number;
  statusP50Ms: number;
  statusMaxMs: number;
  loopP50Ms: number;
  loopP99Ms: number;
  loopMaxMs: number;
  peakRssMb: number;
  /** Peak RSS once the bot polls, before the backup starts (start-up, the key derivation). */
  startRssMb: number;
}

const ADMIN = 1;

export async function measureBot(options: { cli: string; env: NodeJS.ProcessEnv; fake: FakeTelegram; job: string }): Promise<BotFigures> {
  const { fake } = options;
  fake.createUser({ id: ADMIN, firstName: "Bench", languageCode: "en" });
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...options.env, ADMIN_IDS: String(ADMIN), METRICS_PORT: String(port) };
  // Run as users run the command: it starts node itself (scripts/launcher.mjs). BENCH_DAEMON_NODE_ARGS:
  // extra node flags for the daemon (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, to see what holds
  // its event loop; node refuses those in NODE_OPTIONS), given with the launcher's own flags and settings.
  const nodeArgs = (process.env.BENCH_DAEMON_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const proc =
    nodeArgs.length > 0
      ? spawn(process.execPath, [...NODE_FLAGS, ...nodeArgs, options.cli, "run"], { env: { ...env, GLIBC_TUNABLES: MALLOC_TUNABLES }, stdio: ["ignore", "ignore", "inherit"] })
      : spawn(options.cli, ["run"], { env, stdio: ["ignore", "ignore", "inherit"] });
  let peakRss = 0;
  const rssPoll = setInterval(() => {
    if (proc.pid) peakRss = Math.max(peakRss, peakRssOf(proc.pid));
  }, 50);
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  try {
    await fake.waitFor(() => fake.isPolling(), 30_000, "the bot to start polling");
    const db = new Database(path.join(env.DATA_DIR!, "tele-backup.sqlite"), { readonly: true });
    const finishedRuns = () => (db.prepare("select count(*) as n from runs where job_name = ? and status != 'running'").get(options.job) as { n: number }).n;
    const before = finishedRuns();
    const botMessages = () => fake.messages(ADMIN).filter((m) => m.sent_by_bot !== undefined);
    const lastId = () => Math.max(0, ...fake.messages(ADMIN, { includeDeleted: true }).map((m) => m.message_id));

    await new Promise((r) => setTimeout(r, 500)); // settled after start-up
    const startRss = peakRssOf(proc.pid!);
    await loopDelay(port); // start the interval the run is measured over
    fake.sendUserMessage(ADMIN, `/runnow ${options.job}`);
    const replies: number[] = [];
    while (finishedRuns() === before) {
      const after = lastId();
      const t0 = performance.now();
      fake.sendUserMessage(ADMIN, "/status");
      await fake.waitFor(() => botMessages().find((m) => m.message_id > after && /📊/.test(m.text ?? "")), 30_000, "the /status answer");
      replies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 300));
    }
    const loop = await loopDelay(port);
    db.close();
    return {
      statusSamples: replies.length,
      statusP50Ms: replies.length ? median(replies) : Number.NaN,
      statusMaxMs: replies.length ? Math.max(...replies) : Number.NaN,
      loopP50Ms: loop.p50,
      loopP99Ms: loop.p99,
      loopMaxMs: loop.max,
      peakRssMb: peakRss,
      startRssMb: startRss,
    };
  } finally {
    clearInterval(rssPoll);
    if (proc.exitCode === null) proc.kill("SIGTERM");
    await exited;
  }
}

/** The process's event-loop delay since the previous scrape, in ms. */
async function loopDelay(port: number): Promise<{ p50: number; p99: number; max: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (quantile: string) => {
    const line = text.split("\n").find((l) => l.startsWith(`tele_backup_event_loop_delay_seconds{quantile="${quantile}"}`));
    return line ? Number(line.split(" ")[1]) * 1000 : Number.NaN;
  };
  return { p50: value("0.5"), p99: value("0.99"), max: value("1") };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
