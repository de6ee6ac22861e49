import type { Destination, DestinationConfig, DestinationKind } from "./port.js";
import { createLocalDestination } from "./local.js";

export type DestinationFactory = (config: DestinationConfig) => Destination;

/** Builds a destination from its config, by kind. Kinds that need shared clients receive them here. */
export function createDestinationFactory(extra: Partial<Record<DestinationKind, DestinationFactory>> = {}): DestinationFactory {
  const byKind: Partial<Record<DestinationKind, DestinationFactory>> = {
    local: (c) => createLocalDestination(c as Extract<DestinationConfig, { kind: "local" }>),
    ...extra,
  };
  return (config) => {
    const make = byKind[config.kind];
    if (!make) throw new Error(`destination kind "${config.kind}" is not available`);
    return make(config);
  };
}
