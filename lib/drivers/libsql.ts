/**
 * A driver for `npm:libsql` (libSQL's better-sqlite3-compatible binding, a
 * prebuilt native add-on installed from npm). Needs `--allow-ffi` (the add-on)
 * besides read and write; its lock errors are `SqliteError`s with `code`
 * `"SQLITE_BUSY"` and `rawCode` 5.
 *
 * @example Run a plan through libsql
 * ```ts ignore
 * import { createTable, fixtureDb, generateRows, insertRowsInParallel } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb();
 * createTable(db, { name: "messages", columns: { msg: "TEXT" } });
 * await insertRowsInParallel(db, generateRows(4), {
 *   table: "messages",
 *   driver: import.meta.resolve("@dbhammer/dbhammer/drivers/libsql"),
 * });
 * ```
 *
 * @module
 */
// A full specifier, not the import map's: a remote importer (HTTP) has no
// import map of this package's to resolve a bare "libsql" with.
// deno-lint-ignore no-import-prefix
import Database from "npm:libsql@0.5.29";
import type { Driver, DriverConnection } from "../driver.ts";

interface LibsqlStatement {
  run(params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(params: unknown[]): Record<string, unknown> | undefined;
  all(params: unknown[]): Record<string, unknown>[];
}

/**
 * A row as the seam promises it: without the `_metadata` key libsql adds to
 * every row object, and blobs as `Uint8Array` (`all()` returns them as
 * `ArrayBuffer`s, `get()` as `Buffer`s).
 */
function plain(
  row: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (row === undefined) return row;
  delete row._metadata;
  for (const key in row) {
    if (row[key] instanceof ArrayBuffer) {
      row[key] = new Uint8Array(row[key] as ArrayBuffer);
    }
  }
  return row;
}

/** The `npm:libsql` driver. */
const driver: Driver = {
  name: "libsql",
  open(path: string): DriverConnection {
    // timeout 0: dbhammer sets the busy timeout itself, per connection.
    const db = new Database(path, { timeout: 0 });
    return {
      exec: (sql) => {
        db.exec(sql);
      },
      prepare: (sql) => {
        const statement = db.prepare(sql) as unknown as LibsqlStatement;
        // Parameters go as one array: spread, a lone `null` fails ("failed to
        // downcast any to object") and a blob makes the add-on panic and
        // abort the process (libsql 0.5.29 under Deno); in an array both
        // bind correctly, Uint8Array and Buffer alike.
        return {
          run: (...params) => {
            const { changes, lastInsertRowid } = statement.run(params);
            return { changes, lastInsertRowid };
          },
          get: (...params) => plain(statement.get(params)),
          all: (...params) =>
            statement.all(params).map((row) => plain(row) ?? row),
        };
      },
      get inTransaction(): boolean {
        return db.inTransaction;
      },
      close: () => db.close(),
    };
  },
};

export default driver;
