import type { SourceDeps, SourceDriver, SourceKind } from "./port.js";
import { createPostgresDriver } from "./postgres.js";
import { createMysqlDriver } from "./mysql.js";
import { createSqliteDriver } from "./sqlite.js";
import { createDirectoryDriver } from "./directory.js";
import { createVolumeDriver } from "./volume.js";

export type SourceRegistry = Readonly<Record<SourceKind, SourceDriver>>;

export function createSourceRegistry(deps: SourceDeps): SourceRegistry {
  return {
    postgres: createPostgresDriver(deps),
    mysql: createMysqlDriver(deps),
    sqlite: createSqliteDriver(deps),
    directory: createDirectoryDriver(deps),
    volume: createVolumeDriver(deps),
  };
}
