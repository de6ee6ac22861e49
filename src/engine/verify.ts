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

export interface VerifyReport {
  ok: boolean;
  /** Parts actually read back and hashed. */
  checked: number;
  /** Parts too large for the destination to hand back (e.g. above the cloud Bot API's 20 MB download limit). */
  skipped: number;
  problems: string[];
}

/** Reads every stored part back and compares its sha256 with the one recorded at upload. */
export async function verifyStoredParts(
  targets: Array<{ destination: Destination; parts: PartToCheck[] }>,
  signal?: AbortSignal,
): Promise<VerifyReport> {
  const problems: string[] = [];
  let checked = 0;
  let skipped = 0;
  for (const { destination, parts } of targets) {
    for (const part of parts) {
      if (destination.maxFetchSize !== undefined && part.size > destination.maxFetchSize) {
        skipped++;
        continue;
      }
      try {
        const actual = await hashStream(await destination.fetch(part.location, signal), signal);
        checked++;
        if (actual.sha256 !== part.sha256 || actual.size !== part.size) {
          problems.push(`${destination.name}: ${part.name} does not match (sha256 ${actual.sha256.slice(0, 12)}…, expected ${part.sha256.slice(0, 12)}…)`);
        }
      } catch (err) {
        problems.push(`${destination.name}: ${part.name} cannot be read back: ${(err as Error).message}`);
      }
    }
  }
  return { ok: problems.length === 0, checked, skipped, problems };
}

export async function hashStream(stream: NodeJS.ReadableStream, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  await runPipeline(
    [
      stream,
      async (source: AsyncIterable<Uint8Array>) => {
        for await (const chunk of source) {
          hash.update(chunk);
          size += chunk.length;
        }
      },
    ],
    signal,
  );
  return { sha256: hash.digest("hex"), size };
}
