import { absolutePathSchema } from "../shared/schema.js";
import type { SourceKindSchema } from "./kind-schema.js";

/** An SQLite file, dumped as SQL. */
export const sqliteSchema = {
  kind: "sqlite",
  settings: { path: absolutePathSchema },
  formats: ["sql"],
  toConfig: (s) => ({ kind: "sqlite", path: String(s.path) }),
} satisfies SourceKindSchema<"sqlite">;
