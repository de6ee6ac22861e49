import { absolutePathSchema } from "../shared/schema.js";
import type { SourceKindSchema } from "./kind-schema.js";

/** A directory, as a tar archive. */
export const directorySchema = {
  kind: "directory",
  settings: { path: absolutePathSchema },
  formats: ["tar"],
  toConfig: (s) => ({ kind: "directory", path: String(s.path) }),
} satisfies SourceKindSchema<"directory">;
