import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/** One timed run of a command: wall time, CPU time, and for our own process its peak RSS and spool use. */
export interface Sample {
  ms: number;
  /** User + system CPU of the command and every process it waited for (not the database servers'). */
  cpuMs: number;
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

/**
 * Runs the command under perl (part of every Debian system), which waits for it, then prints the
 * CPU time of the command and of everything it waited for (`times`: the children's user and
 * system time): the tool with its dump tool and zstd, a shell pipeline with all its commands.
 * The database servers count on neither side. Where a server or the disk sets the pace, wall
 * time hides the tool's own cost; CPU time shows it (on a VM it varies between runs as well).
 */
const CPU_WRAPPER = 'my $s = system { $ARGV[0] } @ARGV; my @t = times; printf STDERR "\n%s %.3f\n", "tb-bench-cpu", $t[2] + $t[3]; exit($s == -1 ? 127 : ($s & 127) ? 128 + ($s & 127) : $s >> 8);';
const CPU_LINE = /\ntb-bench-cpu ([\d.]+)\n$/;

/** Runs `command` to completion; rejects with the tail of its stderr when it exits non-zero. */
export function measure(command: string, args: string[], options: MeasureOptions = {}): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn("perl", ["-e", CPU_WRAPPER, command, ...args], { env: options.env ?? process.env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr = (stderr + d).slice(-4000);
    });
    let peakRss = 0;
    let peakSpool = 0;
    // The command itself is perl's child.
    let commandPid: number | undefined;
    const poll = setInterval(() => {
      if (options.rss && child.pid) {
        commandPid ??= childOf(child.pid);
        if (commandPid) peakRss = Math.max(peakRss, peakRssOf(commandPid));
      }
      if (options.spoolDir) peakSpool = Math.max(peakSpool, dirSize(options.spoolDir) / 1024 / 1024);
    }, 20);
    child.on("error", (err) => {
      clearInterval(poll);
      reject(err);
    });
    child.on("close", (code) => {
      clearInterval(poll);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const cpu = CPU_LINE.exec(stderr);
      const said = stderr.replace(CPU_LINE, "");
      if (code !== 0) reject(new Error(`${command} ${args.join(" ").slice(0, 200)} exited ${code}: ${said.slice(-800)}`));
      else if (!cpu) reject(new Error(`${command}: no CPU time reported (is perl installed?): ${said.slice(-800)}`));
      else resolve({ ms, cpuMs: Number(cpu[1]) * 1000, ...(options.rss ? { peakRssMb: peakRss } : {}), ...(options.spoolDir ? { peakSpoolMb: peakSpool } : {}) });
    });
  });
}

/** The first child of a live process (undefined while it has none, or once it is gone). */
function childOf(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ")[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
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
