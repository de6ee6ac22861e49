import { createRequire } from "node:module";

/**
 * Loads a CommonJS package on first use. Heavy packages (the Docker client, grammY, YAML,
 * cron parsing) cost hundreds of milliseconds to load; a CLI command that does not need
 * them should not pay for them. Pair it with `import type` for the types.
 */
export const lazyRequire = createRequire(import.meta.url);
