import { formatBytes } from "../shared/format.js";

export interface ProgressSink {
  /** `phase` is already in the user's language. */
  update(phase: string, bytes: number, extra?: string): void;
  done(): void;
}

/**
 * On a terminal: one line rewritten in place (phase, bytes, rate), at most 5 times a second.
 * Elsewhere: a plain line per phase change, so logs stay readable.
 */
export function progressLine(out: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean }, now = () => Date.now()): ProgressSink {
  const tty = Boolean(out.isTTY);
  const started = now();
  let lastDraw = 0;
  let lastPhase = "";
  let drawn = false;
  return {
    update(phase, bytes, extra) {
      if (!tty) {
        if (phase !== lastPhase) out.write(`${phase}${extra ? ` ${extra}` : ""}\n`);
        lastPhase = phase;
        return;
      }
      const t = now();
      if (phase === lastPhase && t - lastDraw < 200) return;
      lastDraw = t;
      lastPhase = phase;
      const secs = Math.max((t - started) / 1000, 0.001);
      const line = `${phase}${extra ? ` ${extra}` : ""}  ${formatBytes(bytes)}  ${formatBytes(bytes / secs)}/s`;
      out.write(`\r\x1b[2K${line}`);
      drawn = true;
    },
    done() {
      if (tty && drawn) out.write("\r\x1b[2K");
    },
  };
}
