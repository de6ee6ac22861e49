import * as v from "valibot";
import { isSecretRef, protectedEnvRef } from "../crypto/secret-ref.js";
import { hostSchema, optional, portSchema, sayValue, secretSchema, textSchema, type KindSchema } from "../shared/schema.js";
import type { DumpFormat, SourceConfig, SourceKind } from "./port.js";

/**
 * What a source kind declares about its configuration, beside its driver: the YAML keys it
 * takes (a valibot schema), the formats it can dump (the first is the default), and how its
 * stored settings and resolved secret become the driver's config. Registered in
 * `SOURCE_SCHEMAS` (registry.ts); the services, import/export and the bot read them there.
 */
export interface SourceKindSchema<K extends SourceKind = SourceKind> extends KindSchema<K> {
  formats: readonly DumpFormat[];
  /** The driver's config from the stored settings (the parsed YAML keys, secret removed) and the resolved secret ("" when none). */
  toConfig(settings: Record<string, unknown>, secret: string): SourceConfig;
}

/** The keys of a database server source (PostgreSQL, MySQL/MariaDB); an empty password means none. */
export const DB_CONNECTION_SETTINGS = {
  host: hostSchema,
  port: portSchema,
  database: textSchema,
  user: textSchema,
  password: optional(secretSchema({ isRef: isSecretRef, protectedRef: protectedEnvRef }, { allowEmpty: true })),
} satisfies v.ObjectEntries;

export function dbConnectionConfig<K extends "postgres" | "mysql">(kind: K, s: Record<string, unknown>, password: string): SourceConfig {
  return { kind, host: String(s.host), port: Number(s.port), database: String(s.database), user: String(s.user), password } as SourceConfig;
}

/** How long a database dump waits for a table another session keeps locked (`lock_wait_timeout`) by default, in seconds: 15 minutes. */
export const LOCK_WAIT_DEFAULT_S = 900;

/** The most `lock_wait_timeout` may be: a day. */
const MAX_LOCK_WAIT_S = 86_400;

/** `lock_wait_timeout` of a database server source: whole seconds, 1 to a day. */
export const lockWaitSetting = optional(
  v.pipe(
    v.number(sayValue("validation-lock-wait-timeout")),
    v.integer(sayValue("validation-lock-wait-timeout")),
    v.minValue(1, sayValue("validation-lock-wait-timeout")),
    v.maxValue(MAX_LOCK_WAIT_S, sayValue("validation-lock-wait-timeout")),
  ),
);

/** The driver's `lockWaitTimeout` from the stored settings (absent: the default). */
export function lockWaitConfig(s: Record<string, unknown>): { lockWaitTimeout?: number } {
  return s.lock_wait_timeout != null ? { lockWaitTimeout: Number(s.lock_wait_timeout) } : {};
}
