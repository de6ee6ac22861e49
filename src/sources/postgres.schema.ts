import { DB_CONNECTION_SETTINGS, dbConnectionConfig, lockWaitConfig, lockWaitSetting, type SourceKindSchema } from "./kind-schema.js";

/** PostgreSQL: `sql` (plain) or `custom` (pg_dump -Fc). `lock_wait_timeout`: see PgConfig.lockWaitTimeout. */
export const postgresSchema = {
  kind: "postgres",
  settings: { ...DB_CONNECTION_SETTINGS, lock_wait_timeout: lockWaitSetting },
  secret: "password",
  formats: ["sql", "custom"],
  toConfig: (s, password) => ({ ...dbConnectionConfig("postgres", s, password), ...lockWaitConfig(s) }),
} satisfies SourceKindSchema<"postgres">;
