import { createHash } from "node:crypto";
import { runPipeline } from "./stages/run-pipeline.js";
import type { Destination, StoredLocation } from "../destinations/port.js";

export interface PartToCheck {
  index: number;
  name: string;
  size: number;
  sha256: string;
  location: StoredLocation;
}

/**
 * What one destination's copy of one part turned out to be:
 * - `ok`: read back, size and sha256 match;
 * - `corrupt`: read back, but the bytes differ (`detail` names both hashes);
 * - `unreadable`: the destination failed to hand it back (`detail` is its error);
 * - `too-big`: above what the destination can hand back (cloud Bot API: 20 MB), not tried;
 * - `missing`: the destination holds other parts of the run, not this one (or its file is gone).
 */
export type CopyStatus = "ok" | "corrupt" | "unreadable" | "too-big" | "missing";

export interface CopyCheck {
  /** The destination's name. */
  destination: string;
  /** 1-based part number; 0 is the manifest. */
  part: number;
  name: string;
  status: CopyStatus;
  detail?: string;
}

export async function checkCopy(destination: Destination, part: PartToCheck, signal?: AbortSignal): Promise<CopyCheck> {
  const base = { destination: destination.name, part: part.index, name: part.name };
  if (destination.maxFetchSize !== undefined && part.size > destination.maxFetchSize) return { ...base, status: "too-big" };
  try {
    const actual = destination.hashPart ? await destination.hashPart(part.location, signal) : await hashStream(await destination.fetch(part.location, signal), signal);
    if (actual.sha256 === part.sha256 && actual.size === part.size) return { ...base, status: "ok" };
    return { ...base, status: "corrupt", detail: mismatch(actual, part) };
  } catch (err) {
    if (signal?.aborted) throw err;
    if (isNotFound(err)) return { ...base, status: "missing" };
    return { ...base, status: "unreadable", detail: (err as Error).message };
  }
}

/** A file that is not there (ENOENT), however many layers wrapped the error. */
export function isNotFound(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) if ((e as NodeJS.ErrnoException).code === "ENOENT") return true;
  return false;
}

/** "sha256 1a2b3c4d5e6f…, expected 0f9e8d7c6b5a…" (and the sizes when they differ). */
export function mismatch(actual: { sha256: string; size: number }, expected: { sha256: string; size: number }): string {
  const sizes = actual.size === expected.size ? "" : `, ${actual.size} bytes instead of ${expected.size}`;
  return `sha256 ${actual.sha256.slice(0, 12)}…, expected ${expected.sha256.slice(0, 12)}…${sizes}`;
}

/** One line of English for logs and run errors. */
export function describeCopy(c: CopyCheck): string {
  switch (c.status) {
    case "ok":
      return `${c.destination}: ${c.name} is intact`;
    case "corrupt":
      return `${c.destination}: ${c.name} does not match (${c.detail ?? ""})`;
    case "unreadable":
      return `${c.destination}: ${c.name} cannot be read back: ${c.detail ?? ""}`;
    case "too-big":
      return `${c.destination}: ${c.name} is too big to be read back through this API`;
    case "missing":
      return `${c.destination}: ${c.name} is missing`;
  }
}

/** The sha256 and size of everything `stream` yields; `onChunk` is called for every chunk (a watchdog's heartbeat). */
export async function hashStream(stream: NodeJS.ReadableStream, signal?: AbortSignal, onChunk?: () => void): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  await runPipeline(
    [
      stream,
      async (source: AsyncIterable<Uint8Array>) => {
        for await (const chunk of source) {
          onChunk?.();
          hash.update(chunk);
          size += chunk.length;
        }
      },
    ],
    signal,
  );
  return { sha256: hash.digest("hex"), size };
}
