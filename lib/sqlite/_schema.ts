// Private: a table's columns as SQLite declares them.
import { invalid } from "../_validate.ts";
import { type Connection, quoteIdent } from "./_connection.ts";

/** Information about one column of a table. */
export interface ColumnInfo {
  name: string;
  notNull: boolean;
  hasDefault: boolean;
  primaryKey: boolean;
  /** The declared type, e.g. `DECIMAL(10,2)` (empty when none). */
  type: string;
}

/** The columns of `table`, or `null` when there is no such table. */
export function tableColumns(
  conn: Connection,
  table: string,
): ColumnInfo[] | null {
  const rows = conn.prepare(`PRAGMA table_xinfo(${quoteIdent(table)})`)
    .all() as {
      name: string;
      notnull: number;
      dflt_value: unknown;
      pk: number;
      hidden: number;
      type: string;
    }[];
  if (rows.length === 0) return null;
  return rows.filter((r) => r.hidden === 0).map((r) => ({
    name: r.name,
    notNull: r.notnull === 1,
    hasDefault: r.dflt_value !== null,
    primaryKey: r.pk > 0,
    type: r.type ?? "",
  }));
}

/** `tableColumns`, throwing a clear error when the table does not exist. */
export function requireTable(
  conn: Connection,
  table: string,
  path: string,
): ColumnInfo[] {
  if (typeof table !== "string" || table === "") {
    throw invalid("table", `${JSON.stringify(table)} (expected a table name)`);
  }
  const columns = tableColumns(conn, table);
  if (columns === null) {
    throw invalid("table", `"${table}" does not exist in ${path}`, RangeError);
  }
  return columns;
}
