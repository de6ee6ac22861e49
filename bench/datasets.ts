/**
 * The bench's data, built once per size and reused between runs: a PostgreSQL and a MariaDB
 * database (`tb_bench_<MB>`), a SQLite file and a directory tree under `BENCH_CACHE`
 * (default `<tmp>/tele-backup-bench`). Rows look like an application's event log: text that
 * compresses about 3-4× like real data, plus numbers, timestamps and JSON.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { dirSize } from "./measure.js";

export const PG = { host: process.env.BENCH_PGHOST ?? "127.0.0.1", port: process.env.BENCH_PGPORT ?? "5432", user: process.env.BENCH_PGUSER ?? "postgres" };
export const MY = { host: process.env.BENCH_MYHOST ?? "127.0.0.1", port: process.env.BENCH_MYPORT ?? "3306", user: process.env.BENCH_MYUSER ?? "root" };
export const CACHE = process.env.BENCH_CACHE ?? path.join(tmpdir(), "tele-backup-bench");

const MB = 1024 * 1024;
/** Bytes a row takes on disk, roughly, in each engine (to size the datasets). */
const ROW_BYTES = { pg: 285, my: 300, sqlite: 200 };

export function psql(sql: string, db = "postgres"): string {
  return execFileSync("psql", ["-h", PG.host, "-p", PG.port, "-U", PG.user, "-d", db, "-v", "ON_ERROR_STOP=1", "-tAq", "-c", sql], {
    encoding: "utf8",
    env: { ...process.env, PGOPTIONS: "-c client_min_messages=warning" },
  }).trim();
}

export function mariadb(sql: string, db?: string): string {
  return execFileSync("mariadb", ["-h", MY.host, "-P", MY.port, "-u", MY.user, "-N", "-B", ...(db ? [db] : []), "-e", sql], { encoding: "utf8" }).trim();
}

/** A PostgreSQL database of about `mb` MB; returns its name and size in bytes. */
export function pgDataset(mb: number): { name: string; bytes: number } {
  const name = `tb_bench_${mb}`;
  const rows = Math.round((mb * MB) / ROW_BYTES.pg);
  if (psql(`select 1 from pg_database where datname = '${name}'`) === "1") {
    if (psql("select count(*) from events", name) === String(rows)) return { name, bytes: Number(psql(`select pg_database_size('${name}')`)) };
    psql(`drop database ${name}`);
  }
  console.log(`building a ~${mb} MB PostgreSQL database "${name}" (once)...`);
  psql(`create database ${name}`);
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
    name,
  );
  return { name, bytes: Number(psql(`select pg_database_size('${name}')`)) };
}

/** A MariaDB database of about `mb` MB (InnoDB data + indexes). */
export function myDataset(mb: number): { name: string; bytes: number } {
  const name = `tb_bench_${mb}`;
  const size = () => Number(mariadb(`select coalesce(sum(data_length + index_length), 0) from information_schema.tables where table_schema = '${name}'`) || 0);
  const rows = Math.round((mb * MB) / ROW_BYTES.my);
  if (mariadb(`select count(*) from information_schema.schemata where schema_name = '${name}'`) === "1") {
    if (mariadb("select count(*) from events", name) === String(rows)) return { name, bytes: size() };
    mariadb(`drop database ${name}`);
  }
  console.log(`building a ~${mb} MB MariaDB database "${name}" (once)...`);
  mariadb(`create database ${name}`);
  // seq_1_to_N is MariaDB's SEQUENCE engine: a generate_series.
  mariadb(
    `create table events (id bigint primary key auto_increment, at datetime not null, kind varchar(16) not null, amount decimal(12,2), payload json, note text) engine=InnoDB;
     insert into events (at, kind, amount, payload, note)
     select now() - interval seq second,
            elt(1 + seq % 5, 'signup','login','purchase','refund','logout'),
            (seq % 100000) / 100.0,
            json_object('user', seq % 50000, 'ip', concat('10.', seq % 250, '.', seq % 199, '.1'), 'tags', json_array(concat('a', seq % 7), concat('b', seq % 11))),
            concat(md5(seq), ' ', repeat(char(97 + seq % 26), 20 + seq % 40), ' ', md5(seq * 7))
     from seq_1_to_${rows};
     analyze table events;`,
    name,
  );
  return { name, bytes: size() };
}

/** A SQLite file of about `mb` MB. */
export function sqliteDataset(mb: number): { file: string; bytes: number } {
  mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, `bench-${mb}.sqlite`);
  // Built under another name and renamed when complete: an existing file is a whole one.
  if (existsSync(file)) return { file, bytes: statSync(file).size };
  console.log(`building a ~${mb} MB SQLite file (once)...`);
  const tmp = `${file}.building`;
  rmSync(tmp, { force: true });
  const rows = Math.round((mb * MB) / ROW_BYTES.sqlite);
  execFileSync("sqlite3", [
    tmp,
    `create table events (id integer primary key, at text not null, kind text not null, amount real, payload text, note text);
     with recursive g(x) as (select 1 union all select x + 1 from g limit ${rows})
     insert into events (at, kind, amount, payload, note)
     select datetime(1767225600 - x, 'unixepoch'),
            case x % 5 when 0 then 'signup' when 1 then 'login' when 2 then 'purchase' when 3 then 'refund' else 'logout' end,
            (x % 100000) / 100.0,
            json_object('user', x % 50000, 'ip', '10.' || (x % 250) || '.' || (x % 199) || '.1'),
            printf('%08x%08x', (x * 2654435761) % 4294967296, (x * 40503) % 65536) || ' ' || replace(printf('%.*c', 20 + x % 40, 'x'), 'x', char(97 + x % 26))
     from g;`,
  ]);
  renameSync(tmp, file);
  return { file, bytes: statSync(file).size };
}

/** A directory tree of about `mb` MB: 20 folders of text-like files from 1 KiB to 2 MiB. */
export function treeDataset(mb: number): { dir: string; bytes: number; files: number } {
  const dir = path.join(CACHE, `tree-${mb}`);
  const marker = path.join(dir, ".complete");
  if (existsSync(marker)) {
    const files = Number(readFileSync(marker, "utf8"));
    return { dir, bytes: dirSize(dir), files };
  }
  console.log(`building a ~${mb} MB directory tree (once)...`);
  rmSync(dir, { recursive: true, force: true });
  let written = 0;
  let files = 0;
  let seed = 1;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  while (written < mb * MB) {
    const folder = path.join(dir, `d${String(files % 20).padStart(2, "0")}`);
    mkdirSync(folder, { recursive: true });
    const size = Math.round(1024 * 2 ** (rand() * 11)); // 1 KiB .. 2 MiB, log-uniform
    const lines: string[] = [];
    let n = 0;
    while (n < size) {
      const line = `${Math.floor(rand() * 1e9).toString(16)} ${"lorem ipsum dolor sit amet ".repeat(1 + Math.floor(rand() * 3))}${files}:${n}\n`;
      lines.push(line);
      n += line.length;
    }
    writeFileSync(path.join(folder, `f${files}.txt`), lines.join(""));
    written += n;
    files++;
  }
  writeFileSync(marker, String(files));
  return { dir, bytes: dirSize(dir), files };
}
