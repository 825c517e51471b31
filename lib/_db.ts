// Private: helpers take a fixture or a plain file path; this gives them a
// connection either way.
import { type DbLike, FixtureDb } from "./fixture.ts";
import { type Connection, openConnection, quoteIdent } from "./_sqlite.ts";
import { classifyError } from "./_errors.ts";

/** Busy timeout of the short-lived connections helpers open on a plain path. */
export const HELPER_BUSY_TIMEOUT_MS = 5000;

/** The database file behind `db`. */
export function pathOf(db: DbLike): string {
  if (db instanceof FixtureDb) return db.path;
  if (typeof db === "string" && db !== "") return db;
  throw new TypeError(
    `Invalid db: ${
      String(db)
    } (expected a fixture from fixtureDb() or a file path)`,
  );
}

/**
 * Runs `fn` with a connection to `db`: the fixture's own one, or a connection
 * opened for the call (and closed after it) on a plain path.
 */
export function withConnection<T>(db: DbLike, fn: (conn: Connection) => T): T {
  if (db instanceof FixtureDb) return fn(db.connection);
  const path = pathOf(db);
  let stat: Deno.FileInfo;
  try {
    stat = Deno.statSync(path);
  } catch (error) {
    throw new Error(`Cannot open database ${path}: no such file`, {
      cause: error,
    });
  }
  if (!stat.isFile) throw new Error(`Cannot open database ${path}: not a file`);
  let conn: Connection | undefined;
  try {
    conn = openConnection(path, { busyTimeoutMs: HELPER_BUSY_TIMEOUT_MS });
    // Fails here, with a clear message, on a file that is not a database.
    conn.prepare("SELECT count(*) FROM sqlite_schema").get();
  } catch (error) {
    conn?.close();
    const busy = classifyError(error).outcome !== "error";
    throw new Error(
      `Cannot open database ${path}: ${(error as Error).message}${
        busy
          ? ` (another connection kept it locked for ${HELPER_BUSY_TIMEOUT_MS} ms)`
          : ""
      }`,
      { cause: error },
    );
  }
  try {
    return fn(conn);
  } finally {
    conn.close();
  }
}

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
    throw new TypeError(
      `Invalid table: ${JSON.stringify(table)} (expected a table name)`,
    );
  }
  const columns = tableColumns(conn, table);
  if (columns === null) {
    throw new RangeError(`Invalid table: "${table}" does not exist in ${path}`);
  }
  return columns;
}
