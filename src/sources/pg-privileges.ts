import { SourceError, type DbConnection } from "./port.js";

/**
 * Read rights a PostgreSQL dump needs, checked by the connection test: pg_dump locks and reads
 * every table and sequence of the database, so one it may not read fails the whole backup hours
 * later. The query lists them (schema without USAGE or relation without SELECT), extensions'
 * own objects aside (pg_dump leaves those to CREATE EXTENSION).
 */
const SHOWN = 5;

export const PG_UNREADABLE_SQL = `SELECT format('%I.%I', n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'S')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
  AND NOT (has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT'))
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1 LIMIT ${SHOWN + 1}`;

/** Throws a SourceError naming the first tables `user` cannot read. `query` runs one statement as that user (`-tA` output). */
export async function assertPgReadable(query: (sql: string) => Promise<string>, c: Pick<DbConnection, "user" | "database">): Promise<void> {
  const names = (await query(PG_UNREADABLE_SQL)).split("\n").map((l) => l.trim()).filter(Boolean);
  if (names.length === 0) return;
  const tables = names.length > SHOWN ? `${names.slice(0, SHOWN).join(", ")}, …` : names.join(", ");
  throw new SourceError(`user ${c.user} cannot read every table of ${c.database}: no SELECT (or schema USAGE) on ${tables}`, "postgres", {
    key: "source-error-pg-unreadable",
    params: { user: c.user, database: c.database, tables },
  });
}
