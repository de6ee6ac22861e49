import { spawn } from "node:child_process";
import { Duplex } from "node:stream";

/**
 * A Duplex backed by a child process's stdin/stdout (e.g. `zstd -c`). The duplex errors when
 * the child cannot start or exits non-zero, with the tail of its stderr in the message.
 */
export function childTransform(command: string, args: string[], label: string): Duplex {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr = (stderr + d).slice(-2000);
  });
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.on("error", (err: NodeJS.ErrnoException) => {
    const reason = err.code === "ENOENT" ? `${command} is not installed` : err.message;
    duplex.destroy(new Error(`${label} failed: ${reason}`, { cause: err }));
  });
  child.on("close", (code, signal) => {
    if (code !== 0) {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      duplex.destroy(new Error(`${label} failed: ${command} ${how}${stderr.trim() ? `: ${stderr.trim().split("\n").pop()}` : ""}`));
    }
  });
  duplex.on("close", () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  return duplex;
}
