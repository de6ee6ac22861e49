import type * as v from "valibot";
import type { DestinationConfig } from "./destinations/port.js";
import type { chatRouteSchema, compressionSchema, notifySchema, retentionSchema } from "./domain/job.schema.js";
import type { DumpFormat, SourceConfig } from "./sources/port.js";

export type Compression = v.InferOutput<typeof compressionSchema>;

export type Encryption =
  | { kind: "none" }
  | { kind: "recipients"; recipients: string[] }
  /** `passphrase` is resolved (never a reference) when handed to the engine. */
  | { kind: "passphrase"; passphrase: string };

/** How many runs to keep, per rule (absent = no such rule); see engine/retention.ts. */
export type Retention = v.InferOutput<typeof retentionSchema>;

/** A chat (and forum topic) that receives a job's messages instead of its destination chats. */
export type ChatRoute = v.InferOutput<typeof chatRouteSchema>;

/** Where a job's success and failure messages go, when not to its destination chats. */
export type NotifyRoutes = v.InferOutput<typeof notifySchema>;

/** Default part size: keeps every part downloadable again through the cloud Bot API (20 MB getFile limit). */
export const DEFAULT_PART_SIZE = 19 * 1024 * 1024;

/** Everything the engine needs to run one job, with every secret reference already resolved. */
export interface ResolvedJob {
  id: number;
  name: string;
  source: { id: number; name: string; config: SourceConfig };
  destinations: Array<{ id: number; config: DestinationConfig }>;
  schedule: string;
  timezone: string | null;
  format: DumpFormat;
  compression: Compression;
  encryption: Encryption;
  partSize: number;
  retention: Retention;
  enabled: boolean;
  /** Where success/failure messages go instead of the destination chats. */
  notify: NotifyRoutes;
  /**
   * The passphrase exactly as the job stores it (secretbox ciphertext of the literal or of its
   * `env:`/`file:` reference); each run keeps a copy, so a later change leaves it restorable.
   */
  passphraseEnc?: string | null;
  /** Commands run around the backup (src/application/hooks.ts); absent = none. */
  hooks?: JobHooks;
  /** healthchecks.io-style ping URL, resolved (`<url>/start`, `<url>`, `<url>/fail`); a secret. */
  ping?: string;
  /** URL that receives each run's result as JSON (POST), resolved; a secret. */
  webhook?: string;
}

/** A command a job runs before or after its backup: a shell line (`sh -c`) or an argument vector. */
export interface Hook {
  run: string | string[];
  /** Container (name or id) to run it in with `docker exec`; absent = in this sidecar. */
  container?: string;
  /** Seconds; default 60. */
  timeout?: number;
}

/** `before` hooks run first (one failing fails the run); `after` hooks always run; `on_failure` after a failed run. */
export interface JobHooks {
  before?: Hook[];
  after?: Hook[];
  on_failure?: Hook[];
}

/** Resolved secrets of a job, for redacting error texts. */
export function jobSecrets(job: ResolvedJob): string[] {
  const out: string[] = [];
  const s = job.source.config;
  if ((s.kind === "postgres" || s.kind === "mysql" || s.kind === "redis") && s.password) out.push(s.password);
  if (job.ping) out.push(job.ping);
  if (job.webhook) out.push(job.webhook);
  if (job.encryption.kind === "passphrase") out.push(job.encryption.passphrase);
  for (const d of job.destinations) if (d.config.kind === "telegram" && d.config.botToken) out.push(d.config.botToken);
  return out;
}
