import { DB_CONNECTION_SETTINGS, dbConnectionConfig, lockWaitConfig, lockWaitSetting, type SourceKindSchema } from "./kind-schema.js";

/** MySQL and MariaDB: plain SQL dumps. `lock_wait_timeout`: see MysqlConfig.lockWaitTimeout. */
export const mysqlSchema = {
  kind: "mysql",
  settings: { ...DB_CONNECTION_SETTINGS, lock_wait_timeout: lockWaitSetting },
  secret: "password",
  formats: ["sql"],
  toConfig: (s, password) => ({ ...dbConnectionConfig("mysql", s, password), ...lockWaitConfig(s) }),
} satisfies SourceKindSchema<"mysql">;
