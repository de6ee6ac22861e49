import { DB_CONNECTION_SETTINGS, dbConnectionConfig, type SourceKindSchema } from "./kind-schema.js";

/** PostgreSQL: `sql` (plain) or `custom` (pg_dump -Fc). */
export const postgresSchema = {
  kind: "postgres",
  settings: DB_CONNECTION_SETTINGS,
  secret: "password",
  formats: ["sql", "custom"],
  toConfig: (s, password) => dbConnectionConfig("postgres", s, password),
} satisfies SourceKindSchema<"postgres">;
