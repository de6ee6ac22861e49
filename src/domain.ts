import type { DestinationConfig } from "./destinations/port.js";
import type { DumpFormat, SourceConfig } from "./sources/port.js";

export type Compression = "gzip" | "zstd" | "none";

export type Encryption =
  | { kind: "none" }
  | { kind: "recipients"; recipients: string[] }
  /** `passphrase` is resolved (never a reference) when handed to the engine. */
  | { kind: "passphrase"; passphrase: string };

export interface Retention {
  keep_last?: number;
  keep_daily?: number;
  keep_weekly?: number;
  keep_monthly?: number;
  max_age_days?: number;
}

/** A chat (and forum topic) that receives a job's messages instead of its destination chats. */
export interface ChatRoute {
  chat_id: string;
  thread_id?: number;
}

/** Where a job's success and failure messages go, when not to its destination chats. */
export interface NotifyRoutes {
  success?: ChatRoute;
  failure?: ChatRoute;
}

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
}

/** Resolved secrets of a job, for redacting error texts. */
export function jobSecrets(job: ResolvedJob): string[] {
  const out: string[] = [];
  const s = job.source.config;
  if ((s.kind === "postgres" || s.kind === "mysql") && s.password) out.push(s.password);
  if (job.encryption.kind === "passphrase") out.push(job.encryption.passphrase);
  for (const d of job.destinations) if (d.config.kind === "telegram" && d.config.botToken) out.push(d.config.botToken);
  return out;
}
