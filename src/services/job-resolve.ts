import type { SecretBox } from "../crypto/secret-box.js";
import { resolveSecret, SecretRefError } from "../crypto/secret-ref.js";
import type { Encryption, ResolvedJob } from "../domain.js";
import type { JobWithDestinations } from "../repos/jobs.repo.js";
import type { DestinationsService } from "./destinations.service.js";
import { isHttpUrl } from "./job-extras.schema.js";
import type { SourcesService } from "./sources.service.js";

/** What resolving a stored job needs: the source and destination services, the secret box, the environment. */
export interface JobResolveDeps {
  sourcesService: Pick<SourcesService, "resolve">;
  destinationsService: Pick<DestinationsService, "resolve">;
  box: SecretBox;
  /** Where `env:` references are looked up; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Everything the engine needs to run the job, with every secret decrypted and every
 * `env:`/`file:` reference resolved.
 * @throws SecretRefError naming the job and the reference (never a value)
 */
export async function resolveJob(row: JobWithDestinations, deps: JobResolveDeps): Promise<ResolvedJob> {
  try {
    const source = await deps.sourcesService.resolve(row.sourceId);
    const destinations: ResolvedJob["destinations"] = [];
    for (const id of row.destinationIds) {
      const d = await deps.destinationsService.resolve(id);
      destinations.push({ id: d.id, config: d.config });
    }
    let encryption: Encryption = { kind: "none" };
    if (row.recipients.length > 0) encryption = { kind: "recipients", recipients: [...row.recipients] };
    else if (row.passphraseEnc != null) encryption = { kind: "passphrase", passphrase: await resolvePassphrase(row.passphraseEnc, deps) };
    return {
      id: row.id,
      name: row.name,
      source,
      destinations,
      schedule: row.schedule,
      timezone: row.timezone,
      format: row.format,
      compression: row.compression,
      encryption,
      partSize: row.partSize,
      retention: { ...row.retention },
      enabled: row.enabled,
      notify: { ...row.notify },
      ...(encryption.kind === "passphrase" ? { passphraseEnc: row.passphraseEnc } : {}),
      ...(Object.keys(row.hooks).length > 0 ? { hooks: structuredClone(row.hooks) } : {}),
      ...(row.pingEnc != null ? { ping: await resolveUrl("ping", row.pingEnc, deps) } : {}),
      ...(row.webhookEnc != null ? { webhook: await resolveUrl("webhook", row.webhookEnc, deps) } : {}),
    };
  } catch (err) {
    if (err instanceof SecretRefError) throw new SecretRefError(`job "${row.name}": ${err.message}`, { cause: err });
    throw err;
  }
}

/** A stored passphrase (secretbox ciphertext of a literal or a reference), decrypted and resolved. */
export async function resolvePassphrase(passphraseEnc: string, deps: Pick<JobResolveDeps, "box" | "env">): Promise<string> {
  try {
    return await resolveSecret(deps.box.decrypt(passphraseEnc), deps.env ?? process.env);
  } catch (err) {
    throw new SecretRefError(`encryption passphrase: ${(err as Error).message}`, { cause: err });
  }
}

/** A ping or webhook URL, decrypted and resolved; a reference must name an http(s) URL. */
async function resolveUrl(key: "ping" | "webhook", enc: string, deps: Pick<JobResolveDeps, "box" | "env">): Promise<string> {
  let url: string;
  try {
    url = await resolveSecret(deps.box.decrypt(enc), deps.env ?? process.env);
  } catch (err) {
    throw new SecretRefError(`${key} URL: ${(err as Error).message}`, { cause: err });
  }
  if (!isHttpUrl(url.trim())) throw new SecretRefError(`${key} URL: the reference does not hold an http(s) URL`);
  return url.trim();
}
