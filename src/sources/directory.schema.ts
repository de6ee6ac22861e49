import * as v from "valibot";
import { absolutePathSchema, optional, say, sayValue } from "../shared/schema.js";
import { usableExclude } from "./exclude.js";
import type { SourceKindSchema } from "./kind-schema.js";

/** `exclude`: patterns of entries left out of the archive (src/sources/exclude.ts). */
const excludeSchema = v.array(
  v.pipe(v.string(sayValue("validation-exclude")), v.check(usableExclude, sayValue("validation-exclude"))),
  say("validation-exclude-list"),
);

/** A directory, as a tar archive. */
export const directorySchema = {
  kind: "directory",
  settings: { path: absolutePathSchema, exclude: optional(excludeSchema) },
  formats: ["tar"],
  toConfig: (s) => ({
    kind: "directory",
    path: String(s.path),
    ...(Array.isArray(s.exclude) && s.exclude.length > 0 ? { exclude: s.exclude.map(String) } : {}),
  }),
} satisfies SourceKindSchema<"directory">;
