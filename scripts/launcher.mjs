/**
 * How the `tele-backup` command (dist/main.js, the npm bin and the image's entry point) starts
 * node: scripts/build.mjs makes these two lines the top of dist/main.js. The file is both a
 * shell script and an ES module:
 *
 *   #!/bin/sh
 *   ":" //; GLIBC_TUNABLES="…${GLIBC_TUNABLES:+:$GLIBC_TUNABLES}" exec node <flags> "$0" "$@"
 *
 * The kernel hands the file to /bin/sh, which runs `:` (a no-op; `//` is its argument) and then
 * replaces itself with node, same process, running the same file with the flags and allocator
 * settings below. Node skips the `#!` line and reads the second as a string and a comment. The
 * shell stops at its `exec`: it never reads the module below it. The process keeps its pid and
 * its command line is `node <flags> <path> <args>`, as with a `#!/usr/bin/env -S node <flags>`
 * line, which this replaces: Linux before 5.1 cuts a `#!` line at 127 bytes, too short for the
 * flags and the settings together. `node dist/main.js` and `tsx src/main.ts` run the same code
 * without them.
 */

/**
 * node's flags.
 *
 * `--max-semi-space-size=4` (MiB; V8 picks up to 16 here): a dump passes through in 64 KiB
 * buffers whose memory is freed when their young-generation objects are collected, so a small
 * young generation frees it every few MiB instead of holding tens of MB until the next
 * collection. Measured with the daemon backing up to Telegram while /status is asked every
 * 300 ms (`npm run bench -- --only bot`), peak RSS and event-loop p99 over 3-7 runs:
 * 16 (default) 155-161 MB, 46-50 ms; 8: 143-148 MB, 38-49 ms; 4: 136-142 MB, 34-46 ms (one
 * run 60); 2: 133-134 MB, 48-54 ms (its old generation fills sooner: longer full collections).
 * A command-line backup is no slower for it (2.50 -> 2.37 s for 200 MB with zstd at 2).
 *
 * `--interrupt-budget=1000000` (V8's default 67584, about 15× less): how much a function must
 * run before V8's optimizing compiler (TurboFan) takes it on. Most of this program's code runs a
 * few times per command (loading, the run's steps, the pipeline's set-up); with the default,
 * TurboFan compiled much of it anyway, on the second core the dump tools and zstd need: 0.3 s of
 * CPU in a 200 MB directory backup (`perf`). With the larger budget only code that is really hot
 * gets optimized, and still soon: the row counter's loop over a MySQL dump runs as fast as
 * before (119 MB of extended INSERTs counted in 460-700 ms either way; `--no-opt`, 2.6-3.9 s).
 * Measured A/B, 5 alternating runs, medians: a 200 MB tree 1.95 -> 1.49 s, an empty backup
 * 0.74 -> 0.69 s, PostgreSQL with zstd 2.32 -> 2.25 s; 800 MB with zstd no slower.
 */
export const NODE_FLAGS = ["--max-semi-space-size=4", "--interrupt-budget=1000000"];

/**
 * glibc's allocator settings (GLIBC_TUNABLES; a value the caller gives is appended, and wins
 * where both set the same tunable). Ignored by other C libraries.
 *
 * `glibc.malloc.hugetlb=1`: every command derives the key from MASTER_KEY with scrypt over 64 MiB
 * of fresh memory (src/crypto/kdf.ts), and on the hosts here half of its time was page faults,
 * one per 4 KiB page (about 19,000). With this, glibc asks for transparent huge pages
 * (madvise MADV_HUGEPAGE) on memory it maps, and the kernel backs the 64 MiB with 2 MiB pages
 * where its THP mode is `madvise` (the usual default): about 2,500 faults, and the scrypt takes
 * 0.17 s instead of 0.32 s (medians of 15 alternating runs). Where THP is `always` that was so
 * already; where it is `never` nothing changes.
 *
 * `glibc.malloc.arena_max=2`: with huge pages, each thread's malloc arena grows in 2 MiB steps,
 * and an SQLite backup whose snapshot Node read in 1 MiB buffers (two worker threads, the thread
 * pool) peaked at 146-151 MB of RSS instead of 128. Two arenas for all threads bring it back to
 * 127-130 MB. (With zstd, zstd now reads the snapshot itself; gzip and no compression still go
 * through Node.)
 */
export const MALLOC_TUNABLES = "glibc.malloc.hugetlb=1:glibc.malloc.arena_max=2";

/** The first two lines of dist/main.js (see above), each ending in a newline. */
export function launcherLines() {
  return `#!/bin/sh\n":" //; GLIBC_TUNABLES="${MALLOC_TUNABLES}\${GLIBC_TUNABLES:+:$GLIBC_TUNABLES}" exec node ${NODE_FLAGS.join(" ")} "$0" "$@"\n`;
}
