import { volumeNameSchema } from "../shared/schema.js";
import type { SourceKindSchema } from "./kind-schema.js";

/** A Docker named volume, as a tar archive. */
export const volumeSchema = {
  kind: "volume",
  settings: { volume: volumeNameSchema },
  formats: ["tar"],
  toConfig: (s) => ({ kind: "volume", volume: String(s.volume) }),
} satisfies SourceKindSchema<"volume">;
