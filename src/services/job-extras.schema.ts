import * as v from "valibot";
import { isSecretRef, protectedEnvRef } from "../crypto/secret-ref.js";
import { optional, required, say, sayValue, secretSchema, strictMapping, textSchema } from "../shared/schema.js";
import { isHttpUrl } from "../shared/url.js";

/**
 * The job keys of issue 16: `hooks` (commands run around the backup, src/application/hooks.ts)
 * and `ping` / `webhook` (external monitoring, src/application/pings.ts).
 */

/** The longest a hook may be given (seconds). */
export const MAX_HOOK_TIMEOUT_S = 3600;

const commandSchema = required(
  v.union(
    [
      v.pipe(v.string(), v.check((s) => s.trim() !== "", say("validation-hook-run"))),
      v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1)),
    ],
    say("validation-hook-run"),
  ),
);

/** What `docker exec` accepts as a container: a name or an id. */
const containerSchema = v.pipe(textSchema, v.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, sayValue("validation-hook-container")));

const timeoutSchema = v.pipe(
  v.number(sayValue("validation-hook-timeout")),
  v.integer(sayValue("validation-hook-timeout")),
  v.minValue(1, sayValue("validation-hook-timeout")),
  v.maxValue(MAX_HOOK_TIMEOUT_S, sayValue("validation-hook-timeout")),
);

/** `{ run: "php artisan down", container: app, timeout: 60 }`; `run` is a shell line or an argument list. */
export const hookSchema = strictMapping({ run: commandSchema, container: optional(containerSchema), timeout: optional(timeoutSchema) }, { key: "validation-what-hook" });

const hookListSchema = v.array(hookSchema, say("validation-hook-list"));

/** `hooks: { before: [...], after: [...], on_failure: [...] }` */
export const hooksSchema = strictMapping(
  { before: optional(hookListSchema), after: optional(hookListSchema), on_failure: optional(hookListSchema) },
  { key: "validation-what-hooks" },
);

/**
 * A ping or webhook URL: a secret (its path is what lets anyone ping), so given literally, as an
 * `env:`/`file:` reference, or as the export mask `"***"` (keep the stored one). A literal must
 * be an http(s) URL; a reference is checked when it is resolved.
 */
export const pingUrlSchema = v.pipe(
  secretSchema({ isRef: isSecretRef, protectedRef: protectedEnvRef }),
  v.check((s) => s === "***" || isSecretRef(s) || isHttpUrl(s), say("validation-ping-url")),
);

export { isHttpUrl };
