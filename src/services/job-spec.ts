import { isSecretRef } from "../crypto/secret-ref.js";
import type { JobWithDestinations } from "../repos/jobs.repo.js";
import { JOB_KEYS, type JobSpec } from "./job.schema.js";
import { SECRET_MASK } from "./validation.js";

type JobKey = (typeof JOB_KEYS)[number];

/** How stored secrets are shown: `"reveal"` as they are, `"mask"` literal ones as `"***"` (references are not secrets), `"keep"` any as `"***"`. */
export type SecretsShown = "reveal" | "mask" | "keep";

export interface NameMaps {
  sources: Map<number, string>;
  destinations: Map<number, string>;
}

/**
 * The spec of a stored job, key by key in the order of the job's schema (`JOB_KEYS`), with every
 * default written out (part_size in bytes): what export writes and import reads back.
 */
export function jobSpecOf(row: JobWithDestinations, secrets: SecretsShown, names: NameMaps, decrypt: (enc: string) => string): JobSpec & { part_size: number } {
  /** A stored secret (passphrase, ping URL, drill identity) as shown. */
  const shown = (enc: string | null): string | undefined => {
    if (enc == null) return undefined;
    if (secrets === "keep") return SECRET_MASK;
    const plain = decrypt(enc);
    return secrets === "reveal" || isSecretRef(plain) ? plain : SECRET_MASK;
  };
  const read: { [K in JobKey]: () => unknown } = {
    name: () => row.name,
    source: () => names.sources.get(row.sourceId) ?? String(row.sourceId),
    destinations: () => row.destinationIds.map((id) => names.destinations.get(id) ?? String(id)),
    schedule: () => row.schedule,
    timezone: () => row.timezone ?? undefined,
    format: () => row.format,
    compression: () => row.compression,
    encryption: () => {
      if (row.recipients.length > 0) return { recipients: [...row.recipients] };
      if (row.passphraseEnc == null) return undefined;
      const plain = secrets === "keep" ? SECRET_MASK : decrypt(row.passphraseEnc);
      return { passphrase: secrets === "reveal" || isSecretRef(plain) ? plain : SECRET_MASK };
    },
    part_size: () => row.partSize,
    retention: () => ({ ...row.retention }),
    enabled: () => row.enabled,
    notify: () => (row.notify.success || row.notify.failure ? { ...row.notify } : undefined),
    hooks: () => (Object.keys(row.hooks).length > 0 ? structuredClone(row.hooks) : undefined),
    ping: () => shown(row.pingEnc),
    webhook: () => shown(row.webhookEnc),
    drill: () => {
      const identity = shown(row.drillIdentityEnc);
      const drill = { ...(row.drill.schedule ? { schedule: row.drill.schedule } : {}), ...(identity ? { identity } : {}) };
      return Object.keys(drill).length > 0 ? drill : undefined;
    },
    anomaly: () => (Object.keys(row.anomaly).length > 0 ? { ...row.anomaly } : undefined),
  };
  const spec: Record<string, unknown> = {};
  for (const key of JOB_KEYS) {
    const value = read[key]();
    if (value !== undefined) spec[key] = value;
  }
  return spec as JobSpec & { part_size: number };
}
