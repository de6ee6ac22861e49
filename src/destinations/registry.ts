import type { Destination, DestinationConfig, DestinationKind } from "./port.js";
import { createLocalDestination } from "./local.js";
import type { DestinationKindSchema } from "./kind-schema.js";
import { localSchema } from "./local.schema.js";
import { createS3Destination } from "./s3.js";
import { s3Schema } from "./s3.schema.js";
import { telegramSchema } from "./telegram.schema.js";

/** Each kind's configuration schema (keys, stored form, config), beside its implementation; validation and export read them here. */
export const DESTINATION_SCHEMAS = {
  telegram: telegramSchema,
  local: localSchema,
  s3: s3Schema,
} satisfies { readonly [K in DestinationKind]: DestinationKindSchema<K> };

export type DestinationFactory = (config: DestinationConfig) => Destination;

/** Builds a destination from its config, by kind. Kinds that need shared clients receive them here. */
export function createDestinationFactory(extra: Partial<Record<DestinationKind, DestinationFactory>> = {}): DestinationFactory {
  const byKind: Partial<Record<DestinationKind, DestinationFactory>> = {
    local: (c) => createLocalDestination(c as Extract<DestinationConfig, { kind: "local" }>),
    s3: (c) => createS3Destination(c as Extract<DestinationConfig, { kind: "s3" }>),
    ...extra,
  };
  return (config) => {
    const make = byKind[config.kind];
    if (!make) throw new Error(`destination kind "${config.kind}" is not available`);
    return make(config);
  };
}
