import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/** One timed run of a command: wall time, and for our own process its peak RSS and spool use. */
export interface Sample {
  ms: number;
  peakRssMb?: number;
  peakSpoolMb?: number;
}

export interface MeasureOptions {
  env?: NodeJS.ProcessEnv;
  /** Sample this folder's size while the command runs (the tool's spool). */
  spoolDir?: string;
  /** Record the peak RSS of the spawned process (`VmHWM`): true for `node`, pointless for `bash -c`. */
  rss?: boolean;
}

/** Runs `command` to completion; rejects with the tail of its stderr when it exits non-zero. */
export function measure(command: string, args: string[], options: MeasureOptions = {}): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr = (stderr + d).slice(-4000);
    });
    let peakRss = 0;
    let peakSpool = 0;
    const poll = setInterval(() => {
      if (options.rss && child.pid) peakRss = Math.max(peakRss, peakRssOf(child.pid));
      if (options.spoolDir) peakSpool = Math.max(peakSpool, dirSize(options.spoolDir) / 1024 / 1024);
    }, 20);
    child.on("error", (err) => {
      clearInterval(poll);
      reject(err);
    });
    child.on("close", (code) => {
      clearInterval(poll);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) reject(new Error(`${command} ${args.join(" ").slice(0, 200)} exited ${code}: ${stderr.slice(-800)}`));
      else resolve({ ms, ...(options.rss ? { peakRssMb: peakRss } : {}), ...(options.spoolDir ? { peakSpoolMb: peakSpool } : {}) });
    });
  });
}

/** Peak resident set of a live process in MB (`VmHWM`), 0 once it is gone. */
export function peakRssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    return hwm ? Number(hwm[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export function dirSize(dir: string): number {
  let total = 0;
  let entries: string[];
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

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
