import { absolutePathSchema } from "../shared/schema.js";
import type { DestinationKindSchema } from "./kind-schema.js";

/** A folder on this machine (or a mounted NAS). */
export const localSchema = {
  kind: "local",
  settings: { path: absolutePathSchema },
  toConfig: (name, s) => ({ kind: "local", name, path: String(s.path) }),
} satisfies DestinationKindSchema<"local">;
