/**
 * `make`, called on first use and its result kept. For a repository's prepared queries: drizzle
 * builds a query's SQL anew on every call (about 0.3 ms for a row of `runs`, more than running
 * it), so the ones /status runs for every job are prepared once, when first run, not when the
 * repository is made (a command that never runs them pays nothing).
 */
export function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}
