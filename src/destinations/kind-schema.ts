import type { KindSchema } from "../shared/schema.js";
import type { DestinationConfig, DestinationKind } from "./port.js";

/**
 * What a destination kind declares about its configuration, beside its implementation: the
 * YAML keys it takes (a valibot schema), how they are stored, and how the stored settings and
 * resolved secret become its config. Registered in `DESTINATION_SCHEMAS` (registry.ts).
 */
export interface DestinationKindSchema<K extends DestinationKind = DestinationKind> extends KindSchema<K> {
  /** Stored settings from the parsed YAML keys (secret removed); identity when absent. */
  toStored?(parsed: Record<string, unknown>): Record<string, unknown>;
  /** The YAML keys (secret excluded) of stored settings; identity when absent. */
  fromStored?(settings: Record<string, unknown>): Record<string, unknown>;
  /** The config from stored settings and the resolved secret (undefined when none is stored). */
  toConfig(name: string, settings: Record<string, unknown>, secret: string | undefined): DestinationConfig;
}
