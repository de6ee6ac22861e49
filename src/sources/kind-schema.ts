import type * as v from "valibot";
import { isSecretRef, protectedEnvRef } from "../crypto/secret-ref.js";
import { hostSchema, optional, portSchema, secretSchema, textSchema, type KindSchema } from "../shared/schema.js";
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
