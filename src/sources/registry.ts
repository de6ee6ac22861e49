import type { SourceDeps, SourceDriver, SourceKind } from "./port.js";
import { createPostgresDriver } from "./postgres.js";
import { createMysqlDriver } from "./mysql.js";
import { createSqliteDriver } from "./sqlite.js";
import { createDirectoryDriver } from "./directory.js";
import { createVolumeDriver } from "./volume.js";
import type { SourceKindSchema } from "./kind-schema.js";
import { postgresSchema } from "./postgres.schema.js";
import { mysqlSchema } from "./mysql.schema.js";
import { sqliteSchema } from "./sqlite.schema.js";
import { directorySchema } from "./directory.schema.js";
import { volumeSchema } from "./volume.schema.js";
import { createRedisDriver } from "./redis.js";
import { redisSchema } from "./redis.schema.js";

export type SourceRegistry = Readonly<Record<SourceKind, SourceDriver>>;

export function createSourceRegistry(deps: SourceDeps): SourceRegistry {
  return {
    postgres: createPostgresDriver(deps),
    mysql: createMysqlDriver(deps),
    sqlite: createSqliteDriver(deps),
    directory: createDirectoryDriver(deps),
    volume: createVolumeDriver(deps),
    redis: createRedisDriver(deps),
  };
}

/** Each kind's configuration schema (keys, formats, config), beside its driver; validation and export read them here. */
export const SOURCE_SCHEMAS = {
  postgres: postgresSchema,
  mysql: mysqlSchema,
  sqlite: sqliteSchema,
  volume: volumeSchema,
  directory: directorySchema,
  redis: redisSchema,
} satisfies { readonly [K in SourceKind]: SourceKindSchema<K> };
