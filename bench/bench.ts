/**
 * `npm run bench`: tele-backup against the raw tools, in the same run, on the same database.
 *
 * Builds a PostgreSQL database of about 200 MB once (kept between runs as `tb_bench`), then
 * reports the median wall time of `pg_dump | gzip -6 > /dev/null` and of
 * `tele-backup backup` to a `local` destination, their ratio, the tool's peak RSS and the
 * peak size of its spool folder. Not a test: it prints numbers and never fails on them.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const PG = { host: process.env.BENCH_PGHOST ?? "127.0.0.1", port: process.env.BENCH_PGPORT ?? "5432", user: process.env.BENCH_PGUSER ?? "postgres" };
const DB = "tb_bench";
const TARGET_MB = Number(process.env.BENCH_SIZE_MB ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PART_SIZE = "19MiB";
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");

function psql(sql: string, db = "postgres"): string {
  return execFileSync("psql", ["-h", PG.host, "-p", PG.port, "-U", PG.user, "-d", db, "-v", "ON_ERROR_STOP=1", "-tAq", "-c", sql], { encoding: "utf8" }).trim();
}

function ensureDatabase(): number {
  const exists = psql(`select 1 from pg_database where datname = '${DB}'`) === "1";
  if (exists) {
    const size = Number(psql(`select pg_database_size('${DB}')`));
    if (size >= TARGET_MB * 0.9 * 1024 * 1024) return size;
    psql(`drop database ${DB}`);
  }
  console.log(`building a ~${TARGET_MB} MB database "${DB}" (once)...`);
  psql(`create database ${DB}`);
  // Text that compresses like real data (~3-4x), plus numbers, timestamps and JSON.
  const rows = Math.round((TARGET_MB * 1024 * 1024) / 285);
  psql(
    `create table events (id bigserial primary key, at timestamptz not null, kind text not null, amount numeric(12,2), payload jsonb, note text);
     insert into events (at, kind, amount, payload, note)
     select now() - (g || ' seconds')::interval,
            (array['signup','login','purchase','refund','logout'])[1 + g % 5],
            (g % 100000) / 100.0,
            jsonb_build_object('user', g % 50000, 'ip', '10.' || (g % 250) || '.' || (g % 199) || '.1', 'tags', jsonb_build_array('a' || g % 7, 'b' || g % 11)),
            md5(g::text) || ' ' || repeat(chr(97 + g % 26), 20 + g % 40) || ' ' || md5((g * 7)::text)
     from generate_series(1, ${rows}) g;
     analyze events;`,
    DB,
  );
  return Number(psql(`select pg_database_size('${DB}')`));
}

interface Sample {
  ms: number;
  peakRssMb?: number;
  peakSpoolMb?: number;
}

function runMeasured(command: string, args: string[], env: NodeJS.ProcessEnv, spoolDir?: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(command, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    let peakRss = 0;
    let peakSpool = 0;
    const poll = setInterval(() => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
        const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
        if (hwm) peakRss = Math.max(peakRss, Number(hwm[1]) / 1024);
      } catch {
        /* exited */
      }
      if (spoolDir) peakSpool = Math.max(peakSpool, dirSize(spoolDir) / 1024 / 1024);
    }, 20);
    child.on("close", (code) => {
      clearInterval(poll);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) reject(new Error(`${command} exited ${code}: ${stderr.slice(-500)}`));
      else resolve({ ms, peakRssMb: peakRss || undefined, peakSpoolMb: spoolDir ? peakSpool : undefined });
    });
  });
}

function dirSize(dir: string): number {
  let total = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync(dir, { recursive: true }) as string[];
  } catch {
    return 0;
  }
  for (const e of entries) {
    try {
      const s = statSync(path.join(dir, e));
      if (s.isFile()) total += s.size;
    } catch {
      /* removed meanwhile */
    }
  }
  return total;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const dbSize = ensureDatabase();
  const work = mkdtempSync(path.join(tmpdir(), "tb-bench-"));
  const dataDir = path.join(work, "data");
  const env = { ...process.env, DATA_DIR: dataDir, ADMIN_IDS: "1", MASTER_KEY: "bench-master-key-0123456789-abcdefXYZ", LOG_LEVEL: "warn" };
  writeFileSync(
    path.join(work, "config.yaml"),
    `sources:\n  - { name: bench, kind: postgres, host: "${PG.host}", port: ${PG.port}, database: ${DB}, user: ${PG.user}, password: "" }\n` +
      `destinations:\n  - { name: disk, kind: local, path: "${path.join(work, "out")}" }\n` +
      `jobs:\n  - { name: bench, source: bench, destinations: [disk], schedule: "0 3 * * *", format: sql, compression: gzip, part_size: ${PART_SIZE} }\n`,
  );
  // The tool runs from its build, as users run it.
  execFileSync("npm", ["run", "-s", "build"], { cwd: root, stdio: "inherit" });
  const cli = path.join(root, "dist/main.js");
  execFileSync("node", [cli, "config", "import", path.join(work, "config.yaml")], { env, stdio: "inherit" });

  const raw: Sample[] = [];
  const tool: Sample[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    raw.push(await runMeasured("bash", ["-c", `pg_dump -h ${PG.host} -p ${PG.port} -U ${PG.user} --no-owner --no-acl ${DB} | gzip -6 > /dev/null`], process.env));
    tool.push(await runMeasured("node", [cli, "backup", "bench"], env, path.join(dataDir, "spool")));
    rmSync(path.join(work, "out"), { recursive: true, force: true });
  }
  const rawMs = median(raw.map((s) => s.ms));
  const toolMs = median(tool.map((s) => s.ms));
  const rss = Math.max(...tool.map((s) => s.peakRssMb ?? 0));
  const spool = Math.max(...tool.map((s) => s.peakSpoolMb ?? 0));
  const partMb = 19;
  console.log("");
  console.log(`database:            ${(dbSize / 1024 / 1024).toFixed(0)} MB (${DB}), ${ROUNDS} rounds, median wall time`);
  console.log(`pg_dump | gzip -6:   ${(rawMs / 1000).toFixed(2)} s`);
  console.log(`tele-backup backup:  ${(toolMs / 1000).toFixed(2)} s  (local destination, gzip, part size ${PART_SIZE}, read-back verified)`);
  console.log(`ratio:               ${(toolMs / rawMs).toFixed(3)}  (target <= 1.15)`);
  console.log(`peak RSS (node):     ${rss.toFixed(0)} MB  (target <= 150 MB)`);
  console.log(`peak spool:          ${spool.toFixed(1)} MB  (two parts = ${2 * partMb} MB)`);
  rmSync(work, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
