import * as v from "valibot";
import { optional, sayValue } from "../shared/schema.js";
import { DB_CONNECTION_SETTINGS, dbConnectionConfig, type SourceKindSchema } from "./kind-schema.js";

/** The most `lock_wait_timeout` may be: a day. */
const MAX_LOCK_WAIT_S = 86_400;

const lockWaitSchema = v.pipe(
  v.number(sayValue("validation-lock-wait-timeout")),
  v.integer(sayValue("validation-lock-wait-timeout")),
  v.minValue(1, sayValue("validation-lock-wait-timeout")),
  v.maxValue(MAX_LOCK_WAIT_S, sayValue("validation-lock-wait-timeout")),
);

/** PostgreSQL: `sql` (plain) or `custom` (pg_dump -Fc). `lock_wait_timeout`: see PgConfig.lockWaitTimeout. */
export const postgresSchema = {
  kind: "postgres",
  settings: { ...DB_CONNECTION_SETTINGS, lock_wait_timeout: optional(lockWaitSchema) },
  secret: "password",
  formats: ["sql", "custom"],
  toConfig: (s, password) => ({
    ...dbConnectionConfig("postgres", s, password),
    ...(s.lock_wait_timeout != null ? { lockWaitTimeout: Number(s.lock_wait_timeout) } : {}),
  }),
} satisfies SourceKindSchema<"postgres">;
