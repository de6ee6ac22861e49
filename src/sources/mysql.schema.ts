import { DB_CONNECTION_SETTINGS, dbConnectionConfig, type SourceKindSchema } from "./kind-schema.js";

/** MySQL and MariaDB: plain SQL dumps. */
export const mysqlSchema = {
  kind: "mysql",
  settings: DB_CONNECTION_SETTINGS,
  secret: "password",
  formats: ["sql"],
  toConfig: (s, password) => dbConnectionConfig("mysql", s, password),
} satisfies SourceKindSchema<"mysql">;
