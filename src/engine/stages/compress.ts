import { Duplex, PassThrough } from "node:stream";
import { constants, createGunzip } from "node:zlib";
import type { Compression } from "../../domain.js";
import { childTransform } from "./child-transform.js";
import { parallelGzip } from "./parallel-gzip.js";

export const COMPRESSION_EXT: Record<Compression, string> = { gzip: ".gz", zstd: ".zst", none: "" };

/**
 * gzip through zlib at level 6 (like `gzip -6`), on several cores (see parallel-gzip.ts); zstd
 * through the `zstd` binary, which is faster than any JS port.
 */
export function compressor(kind: Compression): Duplex {
  switch (kind) {
    case "gzip":
      return Duplex.from(parallelGzip({ level: 6 }));
    case "zstd":
      return childTransform("zstd", ["-q", "-c", "-3", "-T0"], "zstd compression");
    case "none":
      return new PassThrough();
  }
}

export function decompressor(kind: Compression): Duplex {
  switch (kind) {
    case "gzip":
      return createGunzip({ chunkSize: 64 * 1024, finishFlush: constants.Z_SYNC_FLUSH });
    case "zstd":
      return childTransform("zstd", ["-q", "-d", "-c"], "zstd decompression");
    case "none":
      return new PassThrough();
  }
}
